/**
 * The calling convention over libvmlx: out-parameters, status checks and handle ownership.
 * Internal to src/mlx/: nothing above the array API imports this module.
 */
import { read, toArrayBuffer, type Pointer } from "bun:ffi";
import { MlxError } from "../errors.ts";
import { native } from "./library.ts";

/**
 * The loaded symbols. Importing the array API loads libvmlx; callers that must survive a missing library
 * (the CLI's `doctor`) import it dynamically and catch NativeLibraryError.
 */
export const N = native();

/**
 * Native (malloc'd) memory viewed from JS. Long-lived argument slots live here rather than in JS typed
 * arrays: the address of a JS-heap buffer is only guaranteed for the duration of one call, so caching
 * `ptr(typedArray)` across calls is unsafe. Pinned memory never moves; free it with `unpin` when replaced.
 */
export interface Pinned {
  readonly ptr: Pointer;
  readonly buffer: ArrayBuffer;
}

export function pin(nbytes: number): Pinned {
  const p = N.vmlx_alloc(nbytes) as Pointer | null;
  if (!p) throw new MlxError("vmlx_alloc", `could not allocate ${nbytes} bytes`);
  return { ptr: p, buffer: toArrayBuffer(p, 0, nbytes) };
}

export function unpin(p: Pinned): void {
  N.vmlx_free(p.ptr);
}

// One reusable out-parameter slot. Invariant: it holds 0 between calls (take() clears it), so C always
// creates a fresh handle rather than assigning into a stale one.
// Read and cleared as two 32-bit words: cheaper than read.ptr plus a BigInt store on this hot path.
const outPinned = pin(8);
const outWords = new Uint32Array(outPinned.buffer);
const TWO_32 = 4294967296;
/** Address of the out-parameter slot (an `mlx_array*` / `mlx_device*`). */
export const OUT: Pointer = outPinned.ptr;
/** Address of an 8-byte scratch buffer for scalar out-parameters (`float*`, `int*`, `bool*`). */
export const SCRATCH: Pointer = pin(8).ptr;

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
  const h = outWords[0]! + outWords[1]! * TWO_32;
  outWords[0] = 0;
  outWords[1] = 0;
  if (h === 0) throw new MlxError(op, "returned no array");
  return h as unknown as Pointer;
}

// Second and third out-parameter slots, for the few calls that return several arrays; same invariant as OUT.
const out2Pinned = pin(8);
const out2Words = new Uint32Array(out2Pinned.buffer);
/** Address of the second out-parameter slot. */
export const OUT2: Pointer = out2Pinned.ptr;
const out3Pinned = pin(8);
const out3Words = new Uint32Array(out3Pinned.buffer);
/** Address of the third out-parameter slot. */
export const OUT3: Pointer = out3Pinned.ptr;

/** Checks `status`, then takes ownership of the handles left in the first `slots` out-parameter slots. */
function takeSlots(op: string, status: number, slots: readonly Uint32Array[]): Pointer[] {
  const handles = slots.map((w) => {
    const h = w[0]! + w[1]! * TWO_32;
    w[0] = 0;
    w[1] = 0;
    return h as unknown as Pointer;
  });
  if (status !== 0 || handles.some((h) => !h)) {
    for (const h of handles) if (h) N.mlx_array_free(h);
    throw new MlxError(op, status !== 0 ? lastError() : "returned no array");
  }
  return handles;
}

/** Checks `status`, then takes ownership of the handles left in OUT and OUT2. */
export function takePair(op: string, status: number): [Pointer, Pointer] {
  return takeSlots(op, status, [outWords, out2Words]) as [Pointer, Pointer];
}

/** Checks `status`, then takes ownership of the handles left in OUT, OUT2 and OUT3. */
export function takeTriple(op: string, status: number): [Pointer, Pointer, Pointer] {
  return takeSlots(op, status, [outWords, out2Words, out3Words]) as [Pointer, Pointer, Pointer];
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
