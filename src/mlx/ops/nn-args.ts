/**
 * Argument encoding for native calls of the nn and IO ops: mlx-c's 8-byte optionals, C strings and
 * vectors of arrays. Internal to src/mlx/.
 */
import type { Pointer } from "bun:ffi";
import { ptr } from "bun:ffi";
import { Array } from "../array.ts";
import { DTYPE_CODES, type Dtype } from "../dtype.ts";
import { MlxError } from "../errors.ts";
import { N, OUT, take } from "../ffi/call.ts";

const HAS_VALUE = 1n << 32n;
const f32 = new Float32Array(1);
const f32Bits = new Uint32Array(f32.buffer);

/** `mlx_optional_int` as the u64 it travels in: value in the low 4 bytes, has_value in byte 4. */
export function optInt(v: number | undefined | null): bigint {
  return v == null ? 0n : HAS_VALUE | BigInt(v >>> 0);
}

/** `mlx_optional_float` as a u64. */
export function optFloat(v: number | undefined | null): bigint {
  if (v == null) return 0n;
  f32[0] = v;
  return HAS_VALUE | BigInt(f32Bits[0]!);
}

/** `mlx_optional_dtype` as a u64. */
export function optDtype(d: Dtype | undefined | null): bigint {
  return d == null ? 0n : HAS_VALUE | BigInt(DTYPE_CODES[d]);
}

const encoder = new TextEncoder();

/** A NUL-terminated UTF-8 copy of `s`; keep it referenced for the duration of the call. */
export function cstr(s: string): Uint8Array {
  return encoder.encode(`${s}\0`);
}

/** Strings joined as consecutive NUL-terminated UTF-8 strings (never empty, so its address is valid). */
export function cstrList(items: readonly string[]): Uint8Array {
  for (const s of items) {
    if (s.includes("\0")) throw new MlxError("strings", `name ${JSON.stringify(s)} contains a NUL character`);
  }
  return items.length ? encoder.encode(items.map((s) => `${s}\0`).join("")) : new Uint8Array(1);
}

/** The handle of `a`, or null (C's "may be null" array) when absent. */
export function optHandle(a: Array | null | undefined): Pointer | null {
  return a ? a._h : null;
}

/** A new native vector holding `arrays`; free it with `freeVector`. */
export function toVector(arrays: readonly Array[]): Pointer {
  const handles = new BigUint64Array(Math.max(arrays.length, 1));
  arrays.forEach((a, i) => {
    handles[i] = BigInt(a._h as unknown as number);
  });
  const v = N.mlx_vector_array_new_data(ptr(handles), arrays.length) as Pointer | null;
  if (!v) throw new MlxError("mlx_vector_array_new_data", "allocation failed");
  return v;
}

export function freeVector(v: Pointer): void {
  N.mlx_vector_array_free(v);
}

/** Takes every array out of native vector `v`, then frees `v`. */
export function takeVector(v: Pointer): Array[] {
  const out: Array[] = [];
  try {
    const n = Number(N.mlx_vector_array_size(v));
    for (let i = 0; i < n; i++) out.push(new Array(take("mlx_vector_array_get", N.mlx_vector_array_get(OUT, v, i))));
    return out;
  } catch (e) {
    for (const a of out) a.dispose();
    throw e;
  } finally {
    freeVector(v);
  }
}
