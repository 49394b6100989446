/** Test helpers for the core op suites: read an array's values and free it in one step. */
import { expect } from "bun:test";
import type { Array } from "../array.ts";

/** The values of `a` (row-major), after which `a` is disposed. */
export function vals(a: Array): number[] {
  try {
    return a.toList();
  } finally {
    a.dispose();
  }
}

/** The shape, dtype and values of `a`, after which `a` is disposed. */
export function describeArray(a: Array): { shape: number[]; dtype: string; values: number[] } {
  try {
    return { shape: a.shape, dtype: a.dtype, values: a.toList() };
  } finally {
    a.dispose();
  }
}

/** Asserts `a` holds `expected` to `digits` decimal places, then disposes it. */
export function expectClose(a: Array, expected: readonly number[], digits = 5): void {
  const got = vals(a);
  expect(got.length).toBe(expected.length);
  got.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, digits));
}

/** The shape of `a`, after which `a` is disposed. */
export function shapeOf(a: Array): number[] {
  try {
    return a.shape;
  } finally {
    a.dispose();
  }
}

/** Runs `op` on `input`, then disposes `input` (for one-line checks on fresh inputs). */
export function on<T>(input: Array, op: (a: Array) => T): T {
  try {
    return op(input);
  } finally {
    input.dispose();
  }
}
