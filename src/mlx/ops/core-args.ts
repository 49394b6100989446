/**
 * Argument plumbing shared by the core ops: dtype codes, reusable int buffers for shapes and axes, handle lists,
 * host scalars, mlx-c optionals and vectors of arrays. Internal to src/mlx/ (only the error class is public).
 */
import type { Pointer } from "bun:ffi";
import { Array } from "../array.ts";
import { DTYPE_CODES, type Dtype } from "../dtype.ts";
import { N, OUT, pin, take, unpin, type Pinned } from "../ffi/call.ts";

/**
 * A dtype name MLX does not know.
 *
 * @example
 *   try { mx.astype(a, "float8" as mx.Dtype) } catch (e) { if (e instanceof mx.DtypeError) e.dtype; }
 */
export class DtypeError extends TypeError {
  override readonly name = "DtypeError";
  constructor(readonly dtype: string) {
    super(`unknown dtype '${dtype}' (expected one of ${Object.keys(DTYPE_CODES).join(", ")})`);
  }
}

/** The mlx_dtype code of `d`; throws DtypeError for a name MLX does not know. */
export function dtypeCode(d: Dtype): number {
  const code = Object.hasOwn(DTYPE_CODES, d) ? DTYPE_CODES[d] : undefined;
  if (code === undefined) throw new DtypeError(String(d));
  return code;
}

const TWO_32 = 4294967296;

/**
 * An mlx-c `mlx_optional_int` (`{int value; bool has_value}`, 8 bytes) encoded for a bun:ffi `u64` argument:
 * the value's 32 bits low, has_value at bit 32.
 */
export function optInt(v?: number): number {
  return v === undefined ? 0 : (v >>> 0) + TWO_32;
}

/**
 * A reusable `int*` argument buffer. `set` copies values in and returns the buffer's address, which stays valid
 * (the buffer is module-owned) until the next `set` on the same slot; C copies it during the call.
 */
export class IntArgs {
  #mem: Pinned;
  #buf: Int32Array;
  #ptr: Pointer;
  constructor(capacity = 16) {
    this.#mem = pin(capacity * 4);
    this.#buf = new Int32Array(this.#mem.buffer);
    this.#ptr = this.#mem.ptr;
  }
  #ensure(n: number): void {
    if (n <= this.#buf.length) return;
    const old = this.#mem;
    this.#mem = pin(Math.max(n, this.#buf.length * 2) * 4);
    this.#buf = new Int32Array(this.#mem.buffer);
    this.#ptr = this.#mem.ptr;
    unpin(old);
  }
  set(values: readonly number[]): Pointer {
    const n = values.length;
    this.#ensure(n);
    const b = this.#buf;
    for (let i = 0; i < n; i++) b[i] = values[i]!;
    return this.#ptr;
  }
  one(v: number): Pointer {
    this.#buf[0] = v;
    return this.#ptr;
  }
  fill(v: number, n: number): Pointer {
    this.#ensure(n);
    this.#buf.fill(v, 0, n);
    return this.#ptr;
  }
}

/** Three independent int argument slots (shape/start, stop, strides). */
export const ARG0 = new IntArgs();
export const ARG1 = new IntArgs();
export const ARG2 = new IntArgs();

/** `axes` as an `int*` in ARG0 plus its length. */
export function axesArg(axes: number | readonly number[]): [Pointer, number] {
  return typeof axes === "number" ? [ARG0.one(axes), 1] : [ARG0.set(axes), axes.length];
}

let handleMem = pin(32 * 4);
let handleWords = new Uint32Array(handleMem.buffer);
let handlePtr: Pointer = handleMem.ptr;

/** The handles of `arrays` as an `mlx_array*` (a module-owned buffer, valid until the next call). */
export function handlesArg(arrays: readonly Array[]): Pointer {
  const n = arrays.length;
  if (n * 2 > handleWords.length) {
    const old = handleMem;
    handleMem = pin(Math.max(n * 2, handleWords.length * 2) * 4);
    handleWords = new Uint32Array(handleMem.buffer);
    handlePtr = handleMem.ptr;
    unpin(old);
  }
  for (let i = 0; i < n; i++) {
    const h = arrays[i]!._h as unknown as number;
    handleWords[2 * i] = h % TWO_32;
    handleWords[2 * i + 1] = Math.floor(h / TWO_32);
  }
  return handlePtr;
}

/** A 0-d array of `v`, typed as MLX Python types a scalar beside `like` (int32/float32 without one). */
export function scalarLike(v: number, like: Array | null): Array {
  return new Array(take("vmlx_scalar_like", N.vmlx_scalar_like(OUT, v, like ? like._h : null)));
}

/** Takes the `mlx_vector_array` left in OUT, moves its elements into Arrays and frees the vector. */
export function takeVector(op: string, status: number): Array[] {
  const v = take(op, status);
  const out: Array[] = [];
  try {
    const n = N.mlx_vector_array_size(v);
    for (let i = 0; i < n; i++) out.push(new Array(take(op, N.mlx_vector_array_get(OUT, v, i))));
    return out;
  } catch (e) {
    for (const a of out) a.dispose();
    throw e;
  } finally {
    N.mlx_vector_array_free(v);
  }
}
