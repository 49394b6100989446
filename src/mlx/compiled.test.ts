import { afterEach, describe, expect, test } from "bun:test";
import * as mx from "./index.ts";
import { expectClose, seeded } from "./ops/nn-test-util.ts";

const silu = (x: number) => x / (1 + Math.exp(-x));
const gelu = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
const g = seeded(48, 80).map((v) => v * 4);
const u = seeded(48, 81);

describe("compiled kernels", () => {
  afterEach(() => mx.setCompileEnabled(true));

  test("swiglu = silu(gate) * up, for several shapes through one shapeless trace", () => {
    for (const shape of [[48], [6, 8], [2, 3, 8]]) {
      using ga = mx.array(g, { shape, dtype: "float32" });
      using ua = mx.array(u, { shape, dtype: "float32" });
      using y = mx.swiglu(ga, ua);
      expect(y.shape).toEqual(shape);
      expectClose(y.toList(), g.map((x, i) => silu(x) * u[i]!), 1e-6);
    }
  });

  test("swiglu on a CPU stream in float32 (one vectorized primitive): tails, threads, views, extremes", () => {
    const cpu = mx.cpuStream();
    // 13 (a tail past one vector), 8 x 4,099 (the thread pool's tasks, each ending off a vector), extremes
    const big = seeded(8 * 4099, 82).map((v) => v * 12);
    const extremes = [0, -0, 1e-30, -1e-30, 30, -30, 88, -88, 89, -89, 200, -200, 1e6, -1e6, 3.5, -3.5];
    for (const gs of [g.slice(0, 13), big, extremes]) {
      const us = gs.map((_, i) => 0.5 + ((i * 7) % 13) / 4);
      using ga = mx.array(gs, { shape: [gs.length], dtype: "float32" });
      using ua = mx.array(us, { shape: [us.length], dtype: "float32" });
      using y = mx.swiglu(ga, ua, cpu);
      expect(y.dtype).toBe("float32");
      // float32 inputs, a float64 reference: a few float32 roundings of |silu(g) * u|
      const f32 = (x: number) => Math.fround(x);
      expectClose(y.toList(), gs.map((x, i) => silu(f32(x)) * f32(us[i]!)),
        (i) => 1e-6 * Math.abs(silu(f32(gs[i]!)) * f32(us[i]!)) + 1e-30);
    }
    // a transposed (column-major) gate is read through a contiguous copy
    using gm = mx.array(g, { shape: [6, 8], dtype: "float32" });
    using gt = mx.transpose(gm, undefined, cpu); // [8, 6], a view
    using um = mx.array(u, { shape: [8, 6], dtype: "float32" });
    using yt = mx.swiglu(gt, um, cpu);
    const gtv = gt.toList();
    expectClose(yt.toList(), gtv.map((x, i) => silu(x) * Math.fround(u[i]!)), 1e-6);
  });

  test("swiglu broadcasts and keeps bfloat16", () => {
    using ga = mx.array(g, { shape: [6, 8], dtype: "bfloat16" });
    using ua = mx.array(u.slice(0, 8), { shape: [8], dtype: "bfloat16" });
    using y = mx.swiglu(ga, ua);
    expect(y.dtype).toBe("bfloat16");
    const gb = ga.toList();
    const ub = ua.toList();
    expectClose(y.toList(), gb.map((x, i) => silu(x) * ub[i % 8]!), (i) => 2 ** -7 * Math.abs(silu(gb[i]!)) + 1e-3);
  });

  test("geluApprox matches the tanh formula", () => {
    using ga = mx.array(g, { shape: [6, 8], dtype: "float32" });
    using y = mx.geluApprox(ga);
    expectClose(y.toList(), g.map(gelu), 1e-5);
  });

  test("with compilation disabled the same functions give the same values", () => {
    using ga = mx.array(g, { shape: [6, 8], dtype: "float32" });
    using ua = mx.array(u, { shape: [6, 8], dtype: "float32" });
    using fused = mx.swiglu(ga, ua);
    const want = fused.toList();
    mx.setCompileEnabled(false);
    using plain = mx.swiglu(ga, ua);
    expectClose(plain.toList(), want, 1e-6);
  });

  test("mismatched shapes raise MlxError", () => {
    using a = mx.array(seeded(6), { shape: [2, 3], dtype: "float32" });
    using b = mx.array(seeded(4), { shape: [4], dtype: "float32" });
    expect(() => mx.swiglu(a, b).eval()).toThrow(mx.MlxError);
  });
});
