/** The fused projection and MLP helpers against the unfused op sequences, bit for bit, on random inputs. */
import { describe, expect, test } from "bun:test";
import * as mx from "../index.ts";
import { disposeAll, expectBitEqual, projection, rand, refLinear, refMlp } from "./fused-testing.ts";

const DTYPES: mx.Dtype[] = ["float32", "bfloat16"];

describe("mx.linear", () => {
  for (const dtype of DTYPES) {
    for (const quantized of [false, true]) {
      for (const bias of [false, true]) {
        test(`${dtype}, ${quantized ? "4-bit" : "dense"}, ${bias ? "with" : "no"} bias: equals the unfused ops`, () => {
          const p = projection(128, 96, dtype, { quantized, bias, seed: 3 });
          // [M, K], a batch [B, L, K], and a flattened step [T, 1, K].
          for (const shape of [[5, 128], [2, 3, 128], [7, 1, 128]]) {
            using x = rand(shape, dtype, 11);
            using got = mx.linear(p.native, x);
            using want = refLinear(p, x);
            expect(got.shape).toEqual([...shape.slice(0, -1), 96]);
            expectBitEqual(got, want);
          }
          disposeAll(p);
        });
      }
    }
  }

  test("a disposed projection and a non-2-D weight are MlxErrors, not crashes", () => {
    const p = projection(64, 32, "float32", { quantized: false, bias: false, seed: 1 });
    using x = rand([2, 64], "float32", 2);
    p.native.dispose();
    expect(() => mx.linear(p.native, x)).toThrow(mx.MlxError);
    disposeAll(p);
    using w3 = mx.zeros([2, 3, 4], "float32");
    expect(() => new mx.NativeProjection({ weight: w3 })).toThrow(/2-D/);
  });

  test("a shape mismatch is MLX's error", () => {
    const p = projection(64, 32, "float32", { quantized: true, bias: false, seed: 1 });
    using x = rand([2, 48], "float32", 2);
    expect(() => mx.linear(p.native, x)).toThrow(mx.MlxError);
    disposeAll(p);
  });
});

describe("mx.gatedMlp and mx.residualMlp", () => {
  const D = 128;
  const F = 192;
  for (const dtype of DTYPES) {
    for (const [act, fused] of [["silu", false], ["gelu_approx", false], ["silu", true]] as const) {
      test(`${dtype}, ${act}${fused ? ", fused gate_up" : ""}: equals the unfused ops`, () => {
        const gate = projection(D, fused ? 2 * F : F, dtype, { quantized: true, bias: false, seed: 5 });
        const up = fused ? null : projection(D, F, dtype, { quantized: true, bias: false, seed: 6 });
        const down = projection(F, D, dtype, { quantized: true, bias: false, seed: 7 });
        const m: mx.GatedMlpProjections = { gate: gate.native, up: up?.native ?? null, down: down.native, activation: act };
        using x = rand([3, 2, D], dtype, 12);
        using got = mx.gatedMlp(m, x);
        using want = refMlp(gate, up, down, act, x);
        expectBitEqual(got, want);

        // The MLP half of a block: pre-norm, then Gemma's sandwich.
        using r = rand([3, 2, D], dtype, 13);
        using w1 = rand([D], dtype, 14);
        using w2 = rand([D], dtype, 15);
        using w3 = rand([D], dtype, 16);
        using pre = mx.residualMlp(m, x, r, { pre: { weight: w1, eps: 1e-5 } });
        using h = mx.add(x, r);
        using n = mx.rmsNorm(h, w1, 1e-5);
        using mo = refMlp(gate, up, down, act, n);
        using wantPre = mx.add(h, mo);
        expectBitEqual(pre, wantPre);
        using sandwich = mx.residualMlp(m, x, r, { residual: { weight: w2, eps: 1e-6 }, pre: { weight: w1, eps: 1e-5 },
          post: { weight: w3, eps: 1e-6 } });
        using rn = mx.rmsNorm(r, w2, 1e-6);
        using hs = mx.add(x, rn);
        using ns = mx.rmsNorm(hs, w1, 1e-5);
        using ms = refMlp(gate, up, down, act, ns);
        using msn = mx.rmsNorm(ms, w3, 1e-6);
        using wantSandwich = mx.add(hs, msn);
        expectBitEqual(sandwich, wantSandwich);
        disposeAll(gate, up, down);
      });
    }
  }
});
