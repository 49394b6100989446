/**
 * `Array`: an owned MLX array handle. Dispose it (or use `using`) when done; a FinalizationRegistry frees
 * forgotten handles only as a safety net.
 *
 * @example
 *   using a = mx.array([1, 2, 3, 4], { shape: [2, 2] });
 *   a.shape; // [2, 2]
 *   a.toList(); // [1, 2, 3, 4]
 */
import { ptr, toArrayBuffer, type Pointer } from "bun:ffi";
import { MlxError } from "./errors.ts";
import { check, checkHandle, N, pin, SCRATCH, scratchF32, scratchI32 } from "./ffi/call.ts";
import { DTYPE_CODES, dtypeFromCode, ITEM_SIZE, type Dtype } from "./dtype.ts";

// A pinned slot for shapes: one call writes up to MAX_DIMS dimensions here (larger ranks take a second call).
const MAX_DIMS = 16;
const DIMS = pin(MAX_DIMS * 4);
const dims = new Int32Array(DIMS.buffer);

const registry = new FinalizationRegistry<Pointer>((h) => {
  N.mlx_array_free(h);
});

type HostData = Float32Array | Float64Array | Int32Array | Uint32Array | Uint8Array | Int8Array | Uint16Array |
  Int16Array | BigInt64Array | BigUint64Array;

export class Array implements Disposable {
  #handle: Pointer | null;
  #shape: number[] | undefined;
  #dtype: Dtype | undefined;

  /** Takes ownership of a native handle. Internal: use `array()`, `zeros()` and the ops. */
  constructor(handle: Pointer) {
    this.#handle = handle;
    registry.register(this, handle, this);
  }

  /** The native handle; throws once disposed. Internal to src/mlx/. */
  get _h(): Pointer {
    if (this.#handle === null) throw new MlxError("array", "use after dispose");
    return this.#handle;
  }

  get disposed(): boolean {
    return this.#handle === null;
  }

  get shape(): number[] {
    if (this.#shape === undefined) {
      const h = this._h;
      const ndim = N.vmlx_array_dims(h, DIMS.ptr, MAX_DIMS);
      if (ndim <= MAX_DIMS) {
        this.#shape = globalThis.Array.from(dims.subarray(0, ndim));
      } else {
        const p = N.mlx_array_shape(h) as Pointer;
        this.#shape = globalThis.Array.from(new Int32Array(toArrayBuffer(p, 0, ndim * 4)));
      }
    }
    return this.#shape;
  }

  get ndim(): number {
    return this.shape.length;
  }

  get size(): number {
    return Number(N.mlx_array_size(this._h));
  }

  get nbytes(): number {
    return Number(N.mlx_array_nbytes(this._h));
  }

  get dtype(): Dtype {
    this.#dtype ??= dtypeFromCode(N.mlx_array_dtype(this._h));
    return this.#dtype;
  }

  /** Evaluates the array's graph synchronously. */
  eval(): this {
    check("mlx_array_eval", N.mlx_array_eval(this._h));
    return this;
  }

  /** Copies the elements into a host buffer of the matching type (f16/bf16 as their raw Uint16 bits). */
  toTypedArray(): HostData {
    const d = this.dtype;
    const n = this.size;
    const out = hostBuffer(d, n);
    if (n > 0) check("vmlx_array_read", N.vmlx_array_read(this._h, ptr(out), out.byteLength));
    return out;
  }

  /** The elements as JS numbers, row-major (booleans as 0/1, 64-bit integers as numbers). */
  toList(): number[] {
    const raw = this.toTypedArray();
    const d = this.dtype;
    if (d === "float16") return globalThis.Array.from(raw as Uint16Array, halfToFloat);
    if (d === "bfloat16") return globalThis.Array.from(raw as Uint16Array, bf16ToFloat);
    if (raw instanceof BigInt64Array || raw instanceof BigUint64Array) return globalThis.Array.from(raw, Number);
    return globalThis.Array.from(raw as ArrayLike<number>);
  }

  /** The single element of a size-1 array. */
  item(): number {
    const d = this.dtype;
    if (d === "float32") {
      check("mlx_array_item_float32", N.mlx_array_item_float32(SCRATCH, this._h));
      return scratchF32();
    }
    if (d === "int32") {
      check("mlx_array_item_int32", N.mlx_array_item_int32(SCRATCH, this._h));
      return scratchI32();
    }
    const all = this.toList();
    if (all.length !== 1) throw new MlxError("item", `array of size ${all.length} has no single item`);
    return all[0]!;
  }

  /** Frees the native handle now. Idempotent. */
  dispose(): void {
    const h = this.#handle;
    if (h === null) return;
    this.#handle = null;
    registry.unregister(this);
    N.mlx_array_free(h);
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  toString(): string {
    return `Array(shape=[${this.shape.join(", ")}], dtype=${this.dtype})`;
  }
}

function hostBuffer(d: Dtype, n: number): HostData {
  switch (d) {
    case "float32": return new Float32Array(n);
    case "float64": return new Float64Array(n);
    case "int32": return new Int32Array(n);
    case "uint32": return new Uint32Array(n);
    case "int64": return new BigInt64Array(n);
    case "uint64": return new BigUint64Array(n);
    case "int16": return new Int16Array(n);
    case "uint16": case "float16": case "bfloat16": return new Uint16Array(n);
    case "int8": return new Int8Array(n);
    case "uint8": case "bool": return new Uint8Array(n);
    case "complex64": return new Float32Array(n * 2);
  }
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function bf16ToFloat(bits: number): number {
  u32[0] = bits << 16;
  return f32[0]!;
}

export function floatToBf16(x: number): number {
  f32[0] = x;
  const b = u32[0]!;
  if ((b & 0x7f800000) === 0x7f800000 && (b & 0x7fffff) !== 0) return 0x7fc0; // NaN
  return ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) & 0xffff; // round to nearest even
}

export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** Raw element types accepted by `fromBuffer`, keyed by the dtype they hold. */
export function fromBuffer(data: NodeJS.TypedArray, shape: readonly number[], dtype: Dtype): Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const need = n * ITEM_SIZE[dtype];
  if (data.byteLength !== need) {
    throw new MlxError("mlx_array_new_data", `${dtype} ${JSON.stringify(shape)} needs ${need} bytes, got ${data.byteLength}`);
  }
  const dims = new Int32Array(shape);
  const code = DTYPE_CODES[dtype];
  // mlx_array_new_data copies both buffers before returning.
  const bytes = need > 0 ? data : new Uint8Array(1);
  const h = N.mlx_array_new_data(ptr(bytes), shape.length ? ptr(dims) : null, shape.length, code);
  return new Array(checkHandle("mlx_array_new_data", h as Pointer | null));
}
