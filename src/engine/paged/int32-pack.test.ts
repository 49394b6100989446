import { expect, test } from "bun:test";
import * as mx from "../../mlx/index.ts";
import { hostArraysMadeBy } from "../runner/testing.ts";
import { packInt32 } from "./int32-pack.ts";

test("packInt32: each part as an int32 array of its shape and values, all from one host array", () => {
  const [arrays, made] = hostArraysMadeBy(() =>
    packInt32([{ values: [37] }, { values: [9, 10] }, { values: [4, 5, 6, 7, 0, 0], shape: [2, 3] }, { values: [] }]));
  expect(made).toBe(1);
  expect(arrays.map((a) => a.shape)).toEqual([[1], [2], [2, 3], [0]]);
  expect(arrays.map((a) => a.dtype)).toEqual(["int32", "int32", "int32", "int32"]);
  expect(arrays.slice(0, 3).map((a) => a.toList())).toEqual([[37], [9, 10], [4, 5, 6, 7, 0, 0]]);
  // The views feed ops as their own arrays: a gather by the 2-D part reads its rows.
  using src = mx.arange(0, 80, 10, "int32");
  using picked = mx.take(src, arrays[2]!, 0);
  expect(picked.toList()).toEqual([40, 50, 60, 70, 0, 0]);
  for (const a of arrays) a.dispose();
});

test("packInt32: one part is that array; a shape that does not hold its values is a RangeError", () => {
  const [[one], made] = hostArraysMadeBy(() => packInt32([{ values: [1, 2, 3, 4], shape: [2, 2] }]));
  expect(made).toBe(1);
  expect(one!.shape).toEqual([2, 2]);
  expect(one!.toList()).toEqual([1, 2, 3, 4]);
  one!.dispose();
  expect(() => packInt32([{ values: [1] }, { values: [1, 2, 3], shape: [2, 2] }])).toThrow(RangeError);
});

test("packInt32 separate: a host array a part, the same values (VLLM_MLX_STEP_INPUTS=separate)", () => {
  const parts = [{ values: [37, 38] }, { values: [4, 5, 6, 7], shape: [2, 2] }];
  const [arrays, made] = hostArraysMadeBy(() => packInt32(parts, true));
  expect(made).toBe(2);
  expect(arrays.map((a) => a.shape)).toEqual([[2], [2, 2]]);
  expect(arrays.map((a) => a.toList())).toEqual([[37, 38], [4, 5, 6, 7]]);
  for (const a of arrays) a.dispose();
});
