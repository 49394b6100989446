/**
 * vmlx's CPU quantized-matmul kernel (`path: "kernel"`) against MLX's own op (`path: "mlx"`) and against a
 * float64 product of x with the dequantized weight, for every instruction set this CPU has (`setQmmCpuIsa`).
 *
 * Tolerances: the kernel sums in float32 in another order than MLX, so float32 results agree to a few float32
 * roundings of the sum of |x_k w_k| (`mag`): 1e-5 * mag. float16/bfloat16 results add one rounding of the output
 * (eps = 2^-11 / 2^-8 of |ref|) against the float64 reference; against MLX's op, whose float16/bfloat16 results
 * are the less accurate ones here (bfloat16 off the reference by up to ~6e-3 * mag), 8 * eps * mag.
 *
 * The kernel serves CPU streams only, so every op here runs on `cpu` (MLX's op too, so both sides compute on the
 * same device): the tests mean the same on the CPU, Metal and CUDA builds.
 */
import { afterAll, describe, expect, test } from "bun:test";
import * as mx from "../index.ts";
import { expectClose, matmulRef, quantizedInput, quantizedProduct, quantizedWeights, seeded } from "./nn-test-util.ts";

const cpu = mx.cpuStream();
const K = 256;
const N = 37;
const LOW_PRECISION_EPS = { float16: 2 ** -11, bfloat16: 2 ** -8 } as const;

function weights(bits: number, groupSize: number, dtype: mx.Dtype, n = N, k = K) {
  return quantizedWeights(bits, groupSize, dtype, n, k, cpu);
}

function input(m: number, dtype: mx.Dtype, k = K) {
  return quantizedInput(m, dtype, k, cpu);
}

function run(x: mx.Array, w: ReturnType<typeof weights>, bits: number, groupSize: number, path: mx.QuantizedMatmulPath) {
  return quantizedProduct(x, w, bits, groupSize, path, cpu);
}

afterAll(() => mx.setQmmCpuIsa("auto"));

const ISAS_BELOW: Record<Exclude<mx.QmmCpuIsa, "auto">, mx.QmmCpuIsa[]> = {
  amx: ["amx", "avx512bf16", "avx512", "avx2", "scalar"],
  avx512bf16: ["avx512bf16", "avx512", "avx2", "scalar"],
  avx512: ["avx512", "avx2", "scalar"],
  avx2: ["avx2", "scalar"],
  scalar: ["scalar"],
};
const isas = ISAS_BELOW[mx.qmmCpuIsa()];

for (const isa of isas) {
  describe(`CPU quantized matmul kernel (${isa})`, () => {
    for (const bits of [4, 8]) {
      for (const groupSize of [32, 64, 128]) {
        test(`float32, bits ${bits}, group ${groupSize}, M in 1/3/17/128, N ${N}`, () => {
          mx.setQmmCpuIsa(isa);
          using w = weights(bits, groupSize, "float32");
          for (const m of [1, 3, 17, 128]) {
            const { x, values } = input(m, "float32");
            using _x = x;
            const ours = run(x, w, bits, groupSize, "kernel");
            const theirs = run(x, w, bits, groupSize, "mlx");
            const ref = matmulRef(values, w.deq, m, K, N, true);
            expect(ours.shape).toEqual([m, N]);
            expect(ours.dtype).toBe("float32");
            expectClose(ours.values, ref.out, (i) => 1e-5 * ref.mag[i]! + 1e-6);
            expectClose(ours.values, theirs.values, (i) => 1e-5 * ref.mag[i]! + 1e-6);
          }
        });
      }
    }

    for (const dtype of ["float16", "bfloat16"] as const) {
      for (const bits of [4, 8]) {
        test(`${dtype} x and scales, bits ${bits}, group 64, M in 1/3/17/128`, () => {
          mx.setQmmCpuIsa(isa);
          using w = weights(bits, 64, dtype);
          expect(w.scales.dtype).toBe(dtype);
          for (const m of [1, 3, 17, 128]) {
            const { x, values } = input(m, dtype);
            using _x = x;
            const ours = run(x, w, bits, 64, "kernel");
            const theirs = run(x, w, bits, 64, "mlx");
            const ref = matmulRef(values, w.deq, m, K, N, true);
            expect(ours.dtype).toBe(dtype);
            const eps = LOW_PRECISION_EPS[dtype];
            expectClose(ours.values, ref.out, (i) => eps * Math.abs(ref.out[i]!) + 1e-5 * ref.mag[i]! + 1e-6);
            expectClose(ours.values, theirs.values, (i) => 8 * eps * ref.mag[i]!);
          }
        });
      }
    }

    test("K an odd multiple of 32 (a half block at the end of each row), 4 and 8 bits", () => {
      mx.setQmmCpuIsa(isa);
      const [n, k] = [45, 96];
      for (const bits of [4, 8]) {
        using w = weights(bits, 32, "float32", n, k);
        for (const m of [1, 2, 4, 5, 33]) {
          const { x, values } = input(m, "float32", k);
          using _x = x;
          const ours = run(x, w, bits, 32, "kernel");
          const ref = matmulRef(values, w.deq, m, k, n, true);
          expectClose(ours.values, ref.out, (i) => 1e-5 * ref.mag[i]! + 1e-6);
        }
      }
    });

    test("wide outputs split over the threads (decode and prefill shapes)", () => {
      mx.setQmmCpuIsa(isa);
      const [n, k] = [1001, 512];
      using w = weights(4, 32, "float32", n, k);
      for (const m of [1, 4, 40]) {
        const { x, values } = input(m, "float32", k);
        using _x = x;
        const ours = run(x, w, 4, 32, "kernel");
        const ref = matmulRef(values, w.deq, m, k, n, true);
        expectClose(ours.values, ref.out, (i) => 1e-5 * ref.mag[i]! + 1e-6);
      }
    });
  });
}

describe("CPU quantized matmul routing", () => {
  test("batched and non-contiguous x keep MLX's shapes", () => {
    using w = weights(4, 64, "float32");
    using x3 = mx.array(seeded(2 * 5 * K, 5), { shape: [2, 5, K], dtype: "float32" });
    const ours = run(x3, w, 4, 64, "kernel");
    const theirs = run(x3, w, 4, 64, "mlx");
    expect(ours.shape).toEqual([2, 5, N]);
    expectClose(ours.values, theirs.values, 1e-4);
    using xt = mx.array(seeded(K * 3, 6), { shape: [K, 3], dtype: "float32" });
    using view = mx.transpose(xt, undefined, cpu); // [3, K], column-major
    const a = run(view, w, 4, 64, "kernel");
    const b = run(view, w, 4, 64, "mlx");
    expectClose(a.values, b.values, 1e-4);
  });

  test("\"auto\" falls back to MLX's op where the kernel does not apply; \"kernel\" refuses", () => {
    using w = weights(3, 64, "float32");
    const { x } = input(2, "float32");
    using _x = x;
    expect(() => run(x, w, 3, 64, "kernel")).toThrow(mx.MlxError);
    expect(run(x, w, 3, 64, "auto").values).toEqual(run(x, w, 3, 64, "mlx").values);
  });

  test("setQmmCpuIsa rejects unknown instruction sets", () => {
    expect(() => mx.setQmmCpuIsa("sse9" as mx.QmmCpuIsa)).toThrow(mx.MlxError);
    mx.setQmmCpuIsa("auto");
    expect(["amx", "avx512bf16", "avx512", "avx2", "scalar"]).toContain(mx.qmmCpuIsa());
  });

  test("an instruction set the CPU lacks is refused, and the one in force stays", () => {
    const best = mx.qmmCpuIsa();
    const missing = (["amx", "avx512bf16", "avx512", "avx2"] as const).filter((isa) => !ISAS_BELOW[best].includes(isa));
    for (const isa of missing) expect(() => mx.setQmmCpuIsa(isa)).toThrow(/has no/);
    expect(mx.qmmCpuIsa()).toBe(best);
    for (const isa of ISAS_BELOW[best]) {
      mx.setQmmCpuIsa(isa);
      expect(mx.qmmCpuIsa()).toBe(isa as Exclude<mx.QmmCpuIsa, "auto">);
    }
    mx.setQmmCpuIsa("auto");
    expect(mx.qmmCpuIsa()).toBe(best);
  });
});
