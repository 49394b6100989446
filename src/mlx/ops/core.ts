/**
 * Core ops: creation, elementwise, reductions, sorting, shapes, indexing and random. Every op takes an optional
 * stream last and returns a new Array the caller owns.
 *
 * @example
 *   using p = mx.softmax(mx.array([0, Math.LN2]));
 *   p.toList(); // [0.333..., 0.666...]
 */
export { DtypeError } from "./core-args.ts";
export * from "./core-creation.ts";
export * from "./core-elementwise.ts";
export * from "./core-unary.ts";
export * from "./core-reduce.ts";
export * from "./core-sort.ts";
export * from "./core-shape.ts";
export * from "./core-index.ts";
export * from "./core-random.ts";
