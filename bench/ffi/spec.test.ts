import { describe, expect, test } from "bun:test";
import { defaultOps, isBenchDtype, isDevice, median } from "./spec.ts";

describe("bench spec", () => {
  test("median of odd, even and empty lists", () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  test("the CPU default times f32 qmm at 1 and 32 rows, bf16 qmm at 1 row and bf16 matmuls", () => {
    const compute = defaultOps("cpu").filter((o) => o.kind === "compute");
    expect(compute.map((o) => (o.kind === "compute" ? [o.what, o.m, o.dtype] : []))).toEqual([
      ["qmm", 1, "float32"], ["qmm", 32, "float32"], ["qmm", 1, "bfloat16"], ["mm", 1, "bfloat16"], ["mm", 32, "bfloat16"],
    ]);
    expect(new Set(defaultOps("cpu").map((o) => o.name)).size).toBe(defaultOps("cpu").length);
  });

  test("a forced dtype applies to every compute op; names say the shape", () => {
    const ops = defaultOps("gpu", "float16").filter((o) => o.kind === "compute");
    expect(ops.every((o) => o.kind === "compute" && o.dtype === "float16")).toBe(true);
    expect(ops[0]!.name).toBe("qmm4 g64 [1,2048]x[8192,2048]^T f16");
  });

  test("option validators", () => {
    expect(isDevice("gpu")).toBe(true);
    expect(isDevice("metal")).toBe(false);
    expect(isBenchDtype("bfloat16")).toBe(true);
    expect(isBenchDtype("int8")).toBe(false);
  });
});
