/**
 * reshapeAndCache: the in-place paged KV write. Checked against a JS model of the pool, for its in-place
 * contract (the original pool handle sees the rows; no pool-sized allocation even while a queued read holds the
 * pool) and for ordering (a read queued before the write sees the old rows). Runs on the default stream: the CPU
 * primitive on a CPU build, the JIT kernel on a CUDA or Metal build.
 */
import { describe, expect, test } from "bun:test";
import * as mx from "../index.ts";
import { MlxError } from "../errors.ts";
import { seeded } from "./nn-test-util.ts";

const NB = 6;
const BS = 4;
const H = 2;
const D = 8;
const ROW = H * D;

function evaluatedPool(dtype: mx.Dtype, fill: number): mx.Array {
  const p = mx.full([NB, BS, H, D], fill, dtype);
  mx.evaluate(p);
  return p;
}

function rowsOf(values: number[], t: number): mx.Array {
  return mx.array(values, { dtype: "float32", shape: [t, H, D] });
}

/** The pool's rows (slot-major), as numbers. */
function slotRows(pool: mx.Array): number[][] {
  using f = mx.astype(pool, "float32");
  const flat = f.toList() as number[];
  return Array.from({ length: NB * BS }, (_, s) => flat.slice(s * ROW, (s + 1) * ROW));
}

describe("reshapeAndCache", () => {
  for (const dtype of ["float32", "bfloat16"] as const) {
    test(`writes rows at their slots and leaves the rest (${dtype})`, () => {
      const slots = [5, 0, 23, 9];
      const kv = seeded(slots.length * ROW, 3).map((x) => Math.round(x * 64) / 64); // exact in bfloat16
      const vv = kv.map((x) => -x);
      using kPool = evaluatedPool(dtype, 7);
      using vPool = evaluatedPool(dtype, 8);
      using k = rowsOf(kv, slots.length);
      using v = rowsOf(vv, slots.length);
      using slotArr = mx.array(slots, { dtype: "int32" });
      const [k2, v2] = mx.reshapeAndCache(kPool, vPool, k, v, slotArr);
      using _k2 = k2;
      using _v2 = v2;
      expect(k2.shape).toEqual([NB, BS, H, D]);
      expect(k2.dtype).toBe(dtype);
      mx.evaluate(k2, v2); // GPU readers that do not take the write's token must come in a later evaluation
      const kRows = slotRows(k2);
      const vRows = slotRows(v2);
      for (let s = 0; s < NB * BS; s++) {
        const t = slots.indexOf(s);
        expect(kRows[s]).toEqual(t < 0 ? Array(ROW).fill(7) : kv.slice(t * ROW, (t + 1) * ROW));
        expect(vRows[s]).toEqual(t < 0 ? Array(ROW).fill(8) : vv.slice(t * ROW, (t + 1) * ROW));
      }
      // In place: the original handles share the written buffers.
      expect(slotRows(kPool)).toEqual(kRows);
      expect(slotRows(vPool)).toEqual(vRows);
    });
  }

  test("takes a decode step's [T, Hkv, 1, D] heads as [T, Hkv, D] rows", () => {
    const slots = [3, 17];
    const kv = seeded(slots.length * ROW, 5).map((x) => Math.round(x * 64) / 64); // exact in float32
    using kPool = evaluatedPool("float32", 1);
    using vPool = evaluatedPool("float32", 2);
    using rows = rowsOf(kv, slots.length);
    using heads = mx.reshape(rows, [slots.length, H, 1, D]);
    using slotArr = mx.array(slots, { dtype: "int32" });
    const [k2, v2] = mx.reshapeAndCache(kPool, vPool, heads, heads, slotArr);
    using _k2 = k2;
    using _v2 = v2;
    mx.evaluate(k2, v2);
    const kRows = slotRows(k2);
    slots.forEach((s, t) => expect(kRows[s]).toEqual(kv.slice(t * ROW, (t + 1) * ROW)));
    expect(slotRows(v2)[slots[1]!]).toEqual(kv.slice(ROW, 2 * ROW));
    expect(kRows[0]).toEqual(Array(ROW).fill(1));
    using twoAxes = mx.reshape(rows, [slots.length, 1, H, D]); // not the heads' layout: refused
    expect(() => mx.reshapeAndCache(kPool, vPool, twoAxes, twoAxes, slotArr)).toThrow(/k must be \[T, Hkv, D\]/);
  });

  test("skips slots outside the pool", () => {
    using kPool = evaluatedPool("float32", 1);
    using vPool = evaluatedPool("float32", 1);
    using k = rowsOf(Array(2 * ROW).fill(5), 2);
    using slotArr = mx.array([-1, NB * BS], { dtype: "int32" });
    const [k2, v2] = mx.reshapeAndCache(kPool, vPool, k, k, slotArr);
    using _k2 = k2;
    using _v2 = v2;
    mx.evaluate(k2, v2);
    expect(slotRows(k2).flat().every((x) => x === 1)).toBe(true);
    expect(slotRows(v2).flat().every((x) => x === 1)).toBe(true);
  });

  test("a read queued before the write sees the old rows, and the write allocates no pool copy", () => {
    using kPool = evaluatedPool("float32", 2);
    using vPool = evaluatedPool("float32", 3);
    using slot = mx.array([6], { dtype: "int32" });
    using before = mx.take(mx.reshape(kPool, [NB * BS, H, D]), slot, 0);
    mx.asyncEval(before); // queued: it still holds the pool when the write is built and run
    using k = rowsOf(Array(ROW).fill(9), 1);
    mx.clearCache();
    const active = mx.getActiveMemory();
    mx.resetPeakMemory();
    const [k2, v2] = mx.reshapeAndCache(kPool, vPool, k, k, slot);
    using _k2 = k2;
    using _v2 = v2;
    mx.evaluate(k2, v2);
    const poolBytes = NB * BS * ROW * 4;
    expect(mx.getPeakMemory() - active).toBeLessThan(poolBytes);
    expect((before.toList() as number[]).every((x) => x === 2)).toBe(true);
    expect(slotRows(kPool)[6]).toEqual(Array(ROW).fill(9));
  });

  test("writes of one evaluation accumulate in the one buffer", () => {
    using kPool = evaluatedPool("float32", 0);
    using vPool = evaluatedPool("float32", 0);
    const views: mx.Array[] = [];
    for (let s = 0; s < 5; s++) {
      using k = rowsOf(Array(ROW).fill(s + 1), 1);
      using slot = mx.array([s * 3], { dtype: "int32" });
      views.push(...mx.reshapeAndCache(kPool, vPool, k, k, slot));
    }
    mx.evaluate(...views);
    const rows = slotRows(kPool);
    for (let s = 0; s < 5; s++) expect(rows[s * 3]).toEqual(Array(ROW).fill(s + 1));
    expect(rows[1]).toEqual(Array(ROW).fill(0));
    for (const a of views) a.dispose();
  });

  test("a gather through orderAfterWrite in the same evaluation sees the written rows", () => {
    using kPool = evaluatedPool("bfloat16", 4);
    using vPool = evaluatedPool("bfloat16", 4);
    const want = seeded(3 * ROW, 11).map((x) => Math.round(x * 64) / 64);
    using k = rowsOf(want, 3);
    using slots = mx.array([2, 17, 9], { dtype: "int32" });
    const [k2, v2] = mx.reshapeAndCache(kPool, vPool, k, k, slots);
    using _k2 = k2;
    using _v2 = v2;
    using flat = mx.reshape(k2, [NB * BS, H, D]);
    using ordered = mx.orderAfterWrite(slots, k2);
    using got = mx.take(flat, ordered, 0);
    using asF32 = mx.astype(got, "float32");
    expect(asF32.toList()).toEqual(want);
  });

  test("rejects mismatched shapes with a typed error", () => {
    using kPool = evaluatedPool("float32", 0);
    using vPool = evaluatedPool("float32", 0);
    using k = rowsOf(Array(2 * ROW).fill(0), 2);
    using slotArr = mx.array([0, 1, 2], { dtype: "int32" });
    expect(() => mx.reshapeAndCache(kPool, vPool, k, k, slotArr)).toThrow(MlxError);
    expect(() => mx.reshapeAndCache(kPool, vPool, k, k, slotArr)).toThrow(/k must be \[T, Hkv, D\]/);
    using bad = mx.zeros([NB, BS, H, D + 1]);
    using two = mx.array([0, 1], { dtype: "int32" });
    expect(() => mx.reshapeAndCache(kPool, bad, k, k, two)).toThrow(/v_pool .* must match k_pool/);
  });
});
