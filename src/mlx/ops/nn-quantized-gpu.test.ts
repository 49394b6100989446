/**
 * vmlx's GPU matrix-vector kernel for quantized weights (`path: "kernel"` on a GPU stream of a CUDA build,
 * ffi/kernels/qmv.cu) against a float64 product of x with the dequantized weight, and against MLX's own op.
 * These run where the build has the kernel (`scripts/device/h100.sh correctness` on the lent GPU); CPU and Metal
 * builds have none (their GPU path is MLX's op, tested by nn-quantized.test.ts).
 *
 * Tolerances: the kernel dequantizes in float32 and sums in float32, so float32 results agree with the float64
 * reference to a few float32 roundings of the sum of |x_k w_k| (`mag`); float16/bfloat16 add one rounding of the
 * output (eps = 2^-11 / 2^-8 of |ref|).
 */
import { describe, expect, test } from "bun:test";
import * as mx from "../index.ts";
import {
  expectClose, matmulRef, quantizedInput, quantizedProduct as product, quantizedWeights as weights, seeded,
} from "./nn-test-util.ts";

const CUDA_BUILD = mx.info().backend === "cuda";
const EPS = { float32: 0, float16: 2 ** -11, bfloat16: 2 ** -8 } as const;

if (CUDA_BUILD) {
  const gpu = mx.gpuStream();
  describe("GPU quantized matrix-vector kernel (CUDA)", () => {
    for (const dtype of ["float32", "float16", "bfloat16"] as const) {
      for (const bits of [4, 8]) {
        for (const groupSize of [32, 64, 128]) {
          // The launcher's layouts (ffi/src/cuda/qmv_cuda.cpp): 8 columns a warp for 1 and 3 rows, 4 for 8, 2 for 11
          // and 16 (x read 8 rows at a time), so N 37, 1029 and 69 end in a partial column group; K 512 is one pass a
          // row (one K slice), K 2176 a partial last pass over 1, 2 or 4 slices, K 8192 (N 69: few columns) 4 or 8.
          test(`${dtype}, bits ${bits}, group ${groupSize}, rows 1/3/8/11/16, N 37, 1029 and 69`, () => {
            for (const [n, k] of [[37, 512], [1029, 2048 + 128], [69, 8192]] as const) {
              using w = weights(bits, groupSize, dtype, n, k, gpu);
              for (const m of [1, 3, 8, 11, 16]) {
                const { x, values } = quantizedInput(m, dtype, k, gpu);
                using _x = x;
                const { out, mag } = matmulRef(values, w.deq, m, k, n, true);
                const got = product(x, w, bits, groupSize, "kernel", gpu);
                expect(got.dtype).toBe(dtype);
                expect(got.shape).toEqual([m, n]);
                expectClose(got.values, out, (i) => 1e-5 * mag[i]! + EPS[dtype] * Math.abs(out[i]!) * 2);
              }
            }
          });
        }
      }
    }

    test("x as an unaligned view, batched [B, L, K] rows, and the auto path", () => {
      const [n, k, bits, groupSize] = [64, 256, 4, 64];
      using w = weights(bits, groupSize, "float32", n, k, gpu);
      using flat = mx.array(seeded(2 * k + 1, 5), { shape: [2 * k + 1], dtype: "float32" });
      using tail = mx.slice(flat, [1], [2 * k + 1], undefined, gpu); // starts 4 bytes past an allocation: unaligned loads
      using x = mx.reshape(tail, [2, 1, k], gpu);
      const { out, mag } = matmulRef(x.toList(), w.deq, 2, k, n, true);
      const got = product(x, w, bits, groupSize, "kernel", gpu);
      expect(got.shape).toEqual([2, 1, n]);
      expectClose(got.values, out, (i) => 1e-5 * mag[i]!);
      // auto is the kernel under VLLM_MLX_QMV=kernel or =N for N <= 2 (x's rows), else MLX's op.
      const auto = product(x, w, bits, groupSize, "auto", gpu);
      const mlx = product(x, w, bits, groupSize, "mlx", gpu);
      expect(auto.values).toEqual(autoTakesKernel(2) ? got.values : mlx.values);
    });

    test("seventeen rows: auto falls back to MLX's op, kernel refuses; a float16 row with float32 scales reaches the kernel as float32", () => {
      const [n, k, bits, groupSize] = [16, 128, 4, 64];
      using w = weights(bits, groupSize, "float32", n, k, gpu);
      using x = mx.array(seeded(17 * k, 2), { shape: [17, k], dtype: "float32" });
      expect(product(x, w, bits, groupSize, "auto", gpu).shape).toEqual([17, n]);
      expect(() => product(x, w, bits, groupSize, "kernel", gpu)).toThrow(/1 to 16 rows/);
      using half = mx.astype(x, "float16", gpu);
      using one = mx.slice(half, [0, 0], [1, k], undefined, gpu);
      // MLX casts x to the scales' dtype first (float32 here), so a float16 row still reaches the kernel as float32.
      expect(product(one, w, bits, groupSize, "kernel", gpu).dtype).toBe("float32");
    });
  });
}

/** What VLLM_MLX_QMV asks of the "auto" path for `rows` rows: `kernel` every count, `N` from N rows up. */
function autoTakesKernel(rows: number): boolean {
  const v = process.env.VLLM_MLX_QMV ?? "";
  if (v === "kernel") return true;
  return /^[0-9]+$/.test(v) && Number(v) >= 1 && rows >= Number(v);
}
