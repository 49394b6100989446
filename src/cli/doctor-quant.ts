/**
 * The doctor's quantized-matmul check.
 *
 * It quantizes a weight whose groups span a known range, multiplies with `quantizedMatmul`, and compares
 * with the float product computed here in JS, within the round-to-nearest error bound of affine
 * quantization: |error| <= sum(|x|) * scale / 2, scale = (max - min) / (2^bits - 1) per group.
 */
import type { Array as MxArray } from "../mlx/array.ts";
import type { CheckResult } from "./doctor.ts";
import type { Mlx } from "./load-mlx.ts";

/** The quantized ops this check needs. */
export interface QuantizedOps {
  quantize(w: MxArray, opts: { groupSize: number; bits: number }): { wq: MxArray; scales: MxArray; biases: MxArray | null };
  quantizedMatmul(x: MxArray, wq: MxArray, scales: MxArray, biases: MxArray | null,
    opts: { transpose: boolean; groupSize: number; bits: number }): MxArray;
}

const OUT_FEATURES = 4;
const IN_FEATURES = 128;
const GROUP_SIZE = 64;
const BITS = 4;

function weight(row: number, col: number): number {
  return ((row * 7 + col * 3) % 16) * 0.25 - 2; // on the 4-bit grid; every group spans [-2, 1.75]
}

function inputValue(col: number): number {
  return ((col % 5) - 2) * 0.5;
}

/**
 * `x [1, 128] @ w[4, 128]^T` through 4-bit, group-64 quantization must match the float product within the
 * quantization error bound.
 *
 * @example
 *   checkQuantizedMatmul(mx); // { ok: true, line: "quantized matmul check: ok (...)" }
 */
export function checkQuantizedMatmul(mx: Mlx & QuantizedOps): CheckResult {
  const wValues = Array.from({ length: OUT_FEATURES }, (_, r) => Array.from({ length: IN_FEATURES }, (_, c) => weight(r, c)));
  const xValues = Array.from({ length: IN_FEATURES }, (_, c) => inputValue(c));
  using w = mx.array(wValues, { dtype: "float32" });
  using x = mx.array([xValues], { dtype: "float32" });
  const { wq, scales, biases } = mx.quantize(w, { groupSize: GROUP_SIZE, bits: BITS });
  using _wq = wq;
  using _scales = scales;
  using _biases = biases;
  using y = mx.quantizedMatmul(x, wq, scales, biases, { transpose: true, groupSize: GROUP_SIZE, bits: BITS });
  const got = y.toList();
  const expected = wValues.map((row) => row.reduce((sum, v, c) => sum + v * xValues[c]!, 0));
  const scale = (1.75 - -2) / (2 ** BITS - 1);
  const bound = xValues.reduce((s, v) => s + Math.abs(v), 0) * (scale / 2) + 1e-3;
  const worst = Math.max(...expected.map((e, i) => Math.abs((got[i] ?? Number.NaN) - e)));
  const ok = got.length === OUT_FEATURES && worst <= bound;
  return {
    ok,
    line: `quantized matmul check: ${ok ? "ok" : "FAILED"} (${BITS}-bit, group ${GROUP_SIZE}, ` +
      `max error ${worst.toFixed(4)} <= ${bound.toFixed(4)})`,
  };
}
