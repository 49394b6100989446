import { expect, test } from "bun:test";
import * as mx from "../../mlx/index.ts";
import { patchify } from "./clip-layer.ts";

test("patchify: row-major patches, each flattened channel-first", () => {
  // [1, 2, 4, 4] with value c*100 + y*10 + x
  const data: number[] = [];
  for (let c = 0; c < 2; c++) for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) data.push(c * 100 + y * 10 + x);
  using px = mx.array(data, { shape: [1, 2, 4, 4] });
  using p = patchify(px, 2);
  expect(p.shape).toEqual([1, 4, 8]);
  const rows = p.toList();
  // Patch 1 is the top-right one (y 0..1, x 2..3).
  expect(rows.slice(8, 16)).toEqual([2, 3, 12, 13, 102, 103, 112, 113]);
  // Patch 2 is bottom-left.
  expect(rows.slice(16, 24)).toEqual([20, 21, 30, 31, 120, 121, 130, 131]);
});

test("patchify drops the rows and columns a stride-p conv would not reach", () => {
  using px = mx.zeros([1, 3, 5, 6]);
  using p = patchify(px, 2);
  expect(p.shape).toEqual([1, 6, 12]);
});
