/**
 * RoPE scalings against mlx-lm's own classes (`initialize_rope`), through fixtures made by
 * scripts/fixtures/rope-reference.py in the parity venv. fp32, compared within 1e-5.
 */
import { describe, expect, test } from "bun:test";
import * as mx from "../mlx/index.ts";
import { makeRope, RopeConfigError, type RopeScaling } from "./rope.ts";
import linearFixture from "./testdata/rope-linear.json";
import llama3Fixture from "./testdata/rope-llama3.json";
import yarnFixture from "./testdata/rope-yarn.json";

interface RopeCase {
  name: string;
  headDim: number;
  dims: number;
  base: number;
  traditional: boolean;
  scaling: RopeScaling;
  /** Per offset: mlx-lm's output, row-major `[1, 1, L, headDim]`. */
  outputs: number[][];
}

interface RopeFixture {
  maxPositionEmbeddings: number;
  L: number;
  offsets: number[];
  /** Per head dim: the input `[1, 1, L, headDim]`. */
  inputs: Record<string, number[]>;
  cases: RopeCase[];
}

const FIXTURES: [string, RopeFixture][] = [
  ["linear", linearFixture as RopeFixture],
  ["llama3", llama3Fixture as RopeFixture],
  ["yarn", yarnFixture as RopeFixture],
];

const TOLERANCE = 1e-5;

function maxAbsDiff(got: readonly number[], want: readonly number[]): number {
  expect(got.length).toBe(want.length);
  return got.reduce((m, v, i) => Math.max(m, Math.abs(v - want[i]!)), 0);
}

function inputOf(fx: RopeFixture, c: RopeCase, rows = 1): mx.Array {
  const one = fx.inputs[String(c.headDim)]!;
  const data = Array.from({ length: rows }, () => one).flat();
  return mx.array(data, { dtype: "float32", shape: [rows, 1, fx.L, c.headDim] });
}

function label(c: RopeCase): string {
  return `${c.name} head ${c.headDim} dims ${c.dims}${c.traditional ? " traditional" : ""}`;
}

for (const [type, fx] of FIXTURES) {
  describe(`RoPE ${type} matches mlx-lm`, () => {
    test("the fixture covers head dims 64 and 128, traditional and not", () => {
      expect(new Set(fx.cases.map((c) => c.headDim))).toEqual(new Set([64, 128]));
      expect(new Set(fx.cases.map((c) => c.traditional))).toEqual(new Set([false, true]));
      for (const c of fx.cases) expect(c.scaling.type).toBe(type);
    });

    for (const c of fx.cases) {
      test(`${label(c)} at offsets ${fx.offsets.join(", ")}`, () => {
        const rope = makeRope(c.dims, c.base, c.traditional, c.scaling, fx.maxPositionEmbeddings);
        using x = inputOf(fx, c);
        fx.offsets.forEach((offset, i) => {
          using y = rope.forward(x, offset);
          expect(y.shape).toEqual([1, 1, fx.L, c.headDim]);
          expect(maxAbsDiff(y.toList(), c.outputs[i]!)).toBeLessThan(TOLERANCE);
        });
      });

      test(`${label(c)} with per-row int32 offsets`, () => {
        const rope = makeRope(c.dims, c.base, c.traditional, c.scaling, fx.maxPositionEmbeddings);
        const B = fx.offsets.length;
        using x = inputOf(fx, c, B);
        using offsets = mx.array(fx.offsets, { dtype: "int32" });
        using y = rope.forward(x, offsets);
        const got = y.toList();
        const n = fx.L * c.headDim;
        fx.offsets.forEach((_, b) => {
          expect(maxAbsDiff(got.slice(b * n, (b + 1) * n), c.outputs[b]!)).toBeLessThan(TOLERANCE);
        });
      });

      test(`${label(c)}: the reference differs from unscaled RoPE`, () => {
        // Guards the fixture itself: a makeRope that ignored the scaling would fail the tests above.
        const plain = makeRope(c.dims, c.base, c.traditional, null, fx.maxPositionEmbeddings);
        using x = inputOf(fx, c);
        const last = fx.offsets.length - 1;
        using y = plain.forward(x, fx.offsets[last]!);
        expect(maxAbsDiff(y.toList(), c.outputs[last]!)).toBeGreaterThan(1e-2);
      });
    }
  });
}

describe("RoPE scalings mlx-lm has and we do not", () => {
  test("dynamic (NTK) is rejected with a typed error naming the type", () => {
    // mlx-lm's DynamicNTKScalingRoPE recomputes the base from offset + L on every call, which fast RoPE with
    // per-row offsets cannot express; makeRope refuses the config instead of silently using plain RoPE.
    const make = () => makeRope(64, 10000, false, { type: "dynamic", factor: 2 }, 4096);
    expect(make).toThrow(RopeConfigError);
    expect(make).toThrow(/dynamic/);
  });
});
