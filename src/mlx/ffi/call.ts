/**
 * The calling convention over libvmlx: out-parameters, status checks and handle ownership.
 * Internal to src/mlx/: nothing above the array API imports this module.
 */
import { ptr, read, type Pointer } from "bun:ffi";
import { MlxError } from "../errors.ts";
import { native } from "./library.ts";

/**
 * The loaded symbols. Importing the array API loads libvmlx; callers that must survive a missing library
 * (the CLI's `doctor`) import it dynamically and catch NativeLibraryError.
 */
export const N = native();

// One reusable out-parameter slot. Invariant: it holds 0 between calls (take() clears it), so C always
// creates a fresh handle rather than assigning into a stale one.
const outSlot = new BigUint64Array(1);
/** Address of the out-parameter slot (an `mlx_array*` / `mlx_device*`). */
export const OUT: Pointer = ptr(outSlot);
const scratch = new Float64Array(1);
/** Address of an 8-byte scratch buffer for scalar out-parameters (`float*`, `int*`, `bool*`). */
export const SCRATCH: Pointer = ptr(scratch);

export function lastError(): string {
  return String(N.vmlx_last_error() ?? "");
}

/** Throws an MlxError carrying MLX's message unless `status` is 0. */
export function check(op: string, status: number): void {
  if (status !== 0) throw new MlxError(op, lastError());
}

/** Checks `status`, then takes ownership of the handle left in OUT. */
export function take(op: string, status: number): Pointer {
  if (status !== 0) throw new MlxError(op, lastError());
  const h = read.ptr(OUT, 0) as Pointer;
  outSlot[0] = 0n;
  if (!h) throw new MlxError(op, "returned no array");
  return h;
}

/** Checks a handle returned directly by a constructor (null means failure). */
export function checkHandle(op: string, h: Pointer | null): Pointer {
  if (!h) throw new MlxError(op, lastError());
  return h;
}

export function scratchF32(): number {
  return read.f32(SCRATCH, 0);
}
export function scratchI32(): number {
  return read.i32(SCRATCH, 0);
}
export function scratchU8(): number {
  return read.u8(SCRATCH, 0);
}
