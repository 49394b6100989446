/** Deterministic inputs and float comparisons shared by the nn op tests. */
import { expect } from "bun:test";

/** `n` pseudo-random numbers in [-1, 1) from a fixed seed (a 32-bit LCG). */
export function seeded(n: number, seed = 1): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

/** Row-major `[m, k] @ [k, n]` (or `b` as `[n, k]` with `bT`) in float64, with the magnitude sum per output. */
export function matmulRef(a: number[], b: number[], m: number, k: number, n: number, bT = false) {
  const out = new Array<number>(m * n).fill(0);
  const mag = new Array<number>(m * n).fill(0);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      for (let p = 0; p < k; p++) {
        const prod = a[i * k + p]! * (bT ? b[j * k + p]! : b[p * n + j]!);
        out[i * n + j]! += prod;
        mag[i * n + j]! += Math.abs(prod);
      }
    }
  }
  return { out, mag };
}

/** Every `got[i]` lies within `tol(i)` of `want[i]`. */
export function expectClose(got: number[], want: number[], tol: number | ((i: number) => number)): void {
  expect(got.length).toBe(want.length);
  const bound = typeof tol === "number" ? () => tol : tol;
  const bad = got.findIndex((g, i) => !(Math.abs(g - want[i]!) <= bound(i)));
  if (bad >= 0) {
    throw new Error(`element ${bad}: got ${got[bad]}, want ${want[bad]} (tolerance ${bound(bad)})`);
  }
}

/** Rounds to the nearest bfloat16 (ties to even), as MLX does when casting. */
export function roundBf16(x: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer);
  u[0] = ((u[0]! + 0x7fff + ((u[0]! >>> 16) & 1)) >>> 16) << 16;
  return f[0]!;
}
