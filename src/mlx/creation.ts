/** Creating arrays from JS values. */
import type { Pointer } from "bun:ffi";
import { checkHandle, N } from "./ffi/call.ts";
import { Array, floatToBf16, fromBuffer } from "./array.ts";
import type { Dtype } from "./dtype.ts";
import { MlxError } from "./errors.ts";

export type NestedNumbers = number | boolean | NestedNumbers[];

export interface ArrayOptions {
  dtype?: Dtype;
  /** Overrides the shape inferred from nesting (the element count must match). */
  shape?: readonly number[];
}

function inferShape(v: NestedNumbers): number[] {
  const shape: number[] = [];
  let cur: NestedNumbers = v;
  while (globalThis.Array.isArray(cur)) {
    shape.push(cur.length);
    if (cur.length === 0) break;
    cur = cur[0]!;
  }
  return shape;
}

function defaultDtype(flat: ArrayLike<number | boolean>): Dtype {
  if (flat.length > 0 && typeof flat[0] === "boolean") return "bool";
  for (let i = 0; i < flat.length; i++) if (!Number.isInteger(flat[i])) return "float32";
  return flat.length > 0 ? "int32" : "float32";
}

/** Encodes numbers into a host buffer of `dtype`. */
/** Typed arrays whose bytes already are a dtype's: `encode` passes them through (fromBuffer copies them). */
const SAME_LAYOUT: Partial<Record<Dtype, abstract new (...args: never[]) => NodeJS.TypedArray>> = {
  float32: Float32Array, float64: Float64Array, int32: Int32Array, uint32: Uint32Array,
  int16: Int16Array, uint16: Uint16Array, int8: Int8Array, uint8: Uint8Array,
};

export function encode(flat: ArrayLike<number | boolean>, dtype: Dtype): NodeJS.TypedArray {
  const same = SAME_LAYOUT[dtype];
  if (same && flat instanceof same) return flat; // no per-element copy: 9.5k int32 took ~125 µs that way
  const n = flat.length;
  const nums = (i: number) => Number(flat[i]);
  switch (dtype) {
    case "float32": return Float32Array.from({ length: n }, (_, i) => nums(i));
    case "float64": return Float64Array.from({ length: n }, (_, i) => nums(i));
    case "int32": return Int32Array.from({ length: n }, (_, i) => nums(i));
    case "uint32": return Uint32Array.from({ length: n }, (_, i) => nums(i));
    case "int64": return BigInt64Array.from({ length: n }, (_, i) => BigInt(Math.trunc(nums(i))));
    case "uint64": return BigUint64Array.from({ length: n }, (_, i) => BigInt(Math.trunc(nums(i))));
    case "int16": return Int16Array.from({ length: n }, (_, i) => nums(i));
    case "uint16": return Uint16Array.from({ length: n }, (_, i) => nums(i));
    case "int8": return Int8Array.from({ length: n }, (_, i) => nums(i));
    case "uint8": return Uint8Array.from({ length: n }, (_, i) => nums(i));
    case "bool": return Uint8Array.from({ length: n }, (_, i) => (nums(i) ? 1 : 0));
    case "bfloat16": return Uint16Array.from({ length: n }, (_, i) => floatToBf16(nums(i)));
    case "float16": return Uint16Array.from({ length: n }, (_, i) => floatToHalf(nums(i)));
    case "complex64": throw new MlxError("array", "complex64 arrays cannot be built from JS numbers");
  }
}

/**
 * An array from JS numbers (nested or flat), or from a typed array.
 *
 * @example
 *   mx.array([[1, 2], [3, 4]], { dtype: "bfloat16" })
 *   mx.array(new Float32Array(6), { shape: [2, 3] })
 */
export function array(value: NestedNumbers | ArrayLike<number>, opts: ArrayOptions = {}): Array {
  let flat: ArrayLike<number | boolean>;
  let shape: readonly number[];
  if (typeof value === "number" || typeof value === "boolean") {
    flat = [value];
    shape = [];
  } else if (globalThis.Array.isArray(value)) {
    shape = inferShape(value as NestedNumbers);
    flat = (value as unknown[]).flat(Infinity as 1) as (number | boolean)[];
  } else {
    flat = value as ArrayLike<number>;
    shape = [flat.length];
  }
  if (opts.shape) {
    const n = opts.shape.reduce((a, b) => a * b, 1);
    if (n !== flat.length) {
      throw new MlxError("array", `shape ${JSON.stringify(opts.shape)} holds ${n} elements, data has ${flat.length}`);
    }
    shape = opts.shape;
  }
  const dtype = opts.dtype ?? defaultDtype(flat);
  return fromBuffer(encode(flat, dtype), shape, dtype);
}

/** A 0-d float32 scalar. */
export function scalar(v: number): Array {
  return new Array(checkHandle("mlx_array_new_float", N.mlx_array_new_float(v) as Pointer | null));
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
export function floatToHalf(x: number): number {
  f32[0] = x;
  const b = u32[0]!;
  const sign = (b >>> 16) & 0x8000;
  const exp = ((b >>> 23) & 0xff) - 127 + 15;
  let mant = b & 0x7fffff;
  if (((b >>> 23) & 0xff) === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  if (exp >= 31) return sign | 0x7c00;
  if (exp <= 0) {
    if (exp < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - exp;
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && h & 1)) h++;
    return sign | h;
  }
  let h = sign | (exp << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++;
  return h;
}
