/** Helpers to declare bun:ffi signatures with their literal types kept. */
import type { FFITypeOrString } from "bun:ffi";

export const fn = <const A extends readonly FFITypeOrString[], const R extends FFITypeOrString>(args: A, returns: R) => ({
  args,
  returns,
});
// Signature shapes shared by many ops: (res*, a, s), (res*, a, b, s).
export const UNARY = fn(["ptr", "ptr", "ptr"], "i32");
export const BINARY = fn(["ptr", "ptr", "ptr", "ptr"], "i32");
