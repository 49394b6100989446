/**
 * M-RoPE: the axis each frequency reads (Qwen2-VL's chunks, Qwen3-VL's interleave, as mlx-vlm lays them out),
 * rotation at explicit 3D positions against a scalar reference, and text positions equal to plain RoPE.
 */
import { describe, expect, test } from "bun:test";
import * as mx from "../mlx/index.ts";
import { MRoPE, mropeAxes } from "./mrope.ts";
import { RoPE, RopeConfigError } from "./rope.ts";
import { maxAbsDiff, randn } from "./testing.ts";

describe("mropeAxes", () => {
  test("chunked: t, then h, then w", () => {
    expect(mropeAxes([2, 3, 3], 8, "chunked")).toEqual([0, 0, 1, 1, 1, 2, 2, 2]);
    const real = mropeAxes([16, 24, 24], 64, "chunked");
    expect(real.filter((a) => a === 0).length).toBe(16);
    expect(real.indexOf(1)).toBe(16);
    expect(real.indexOf(2)).toBe(40);
  });
  test("interleaved: h at 1 mod 3, w at 2 mod 3, within 3 * section", () => {
    expect(mropeAxes([4, 2, 2], 8, "interleaved")).toEqual([0, 1, 2, 0, 1, 2, 0, 0]);
    const real = mropeAxes([24, 20, 20], 64, "interleaved");
    expect(real.filter((a) => a === 1).length).toBe(20);
    expect(real.filter((a) => a === 2).length).toBe(20);
    expect(real.slice(58)).toEqual([1, 2, 0, 0, 0, 0]);
  });
  test("a section that is not 3 long is a RopeConfigError", () => {
    expect(() => mropeAxes([4, 4], 8, "chunked")).toThrow(RopeConfigError);
  });
});

/** x [1, H, L, D] rotated by hand at positions pos[axis][l], the half-split layout. */
function reference(x: number[], H: number, L: number, D: number, pos: number[][], axes: number[], base: number): number[] {
  const out = x.slice();
  const half = D / 2;
  for (let h = 0; h < H; h++) {
    for (let l = 0; l < L; l++) {
      const row = (h * L + l) * D;
      for (let j = 0; j < half; j++) {
        const angle = pos[axes[j]!]![l]! / base ** ((2 * j) / D);
        const a = x[row + j]!;
        const b = x[row + j + half]!;
        out[row + j] = a * Math.cos(angle) - b * Math.sin(angle);
        out[row + j + half] = b * Math.cos(angle) + a * Math.sin(angle);
      }
    }
  }
  return out;
}

describe("MRoPE", () => {
  const [H, L, D, base] = [2, 5, 16, 10000];
  const pos = [
    [0, 1, 2, 2, 2],
    [0, 1, 2, 2, 3],
    [0, 1, 2, 3, 2],
  ];

  for (const style of ["chunked", "interleaved"] as const) {
    test(`${style}: rotation at 3D positions matches a scalar reference`, () => {
      const section = style === "chunked" ? [2, 3, 3] : [4, 2, 2];
      const rope = new MRoPE(D, base, section, style);
      using x = randn([1, H, L, D], 7);
      using ids = mx.array(pos.flat(), { dtype: "int32", shape: [3, 1, L] });
      using got = rope.forwardAt(x, ids);
      const want = reference(x.toList(), H, L, D, pos, mropeAxes(section, D / 2, style), base);
      using w = mx.array(want, { dtype: "float32", shape: [1, H, L, D] });
      expect(maxAbsDiff(got, w)).toBeLessThan(1e-5);
    });
  }

  test("text positions (t = h = w) rotate as plain RoPE at the same offset", () => {
    const rope = new MRoPE(D, base, [2, 3, 3], "chunked");
    using x = randn([1, H, L, D], 8);
    const text = [7, 8, 9, 10, 11];
    using ids = mx.array([...text, ...text, ...text], { dtype: "int32", shape: [3, 1, L] });
    using at = rope.forwardAt(x, ids);
    using fast = rope.forward(x, 7);
    expect(maxAbsDiff(at, fast)).toBeLessThan(1e-5);
  });

  test("plain RoPE's forwardAt at [B, L] positions equals forward at that offset", () => {
    const rope = new RoPE(D, false, base, 1, null);
    using x = randn([1, H, L, D], 9);
    using ids = mx.array([3, 4, 5, 6, 7], { dtype: "int32", shape: [1, L] });
    using at = rope.forwardAt(x, ids);
    using fast = rope.forward(x, 3);
    expect(maxAbsDiff(at, fast)).toBeLessThan(1e-5);
  });
});
