import { expect, test } from "bun:test";
import * as mx from "../../mlx/index.ts";
import { mergeFeatures, positionsOf } from "./merge.ts";

test("mergeFeatures puts feature rows at their positions in order and zeroes padding", () => {
  using embeds = mx.array([[[1, 1], [2, 2], [3, 3], [4, 4], [5, 5]]]);
  using feats = mx.array([[9, 9], [8, 8]]);
  using out = mergeFeatures(embeds, feats, { featurePositions: [1, 3], zeroPositions: [4] });
  expect(out.shape).toEqual([1, 5, 2]);
  expect(out.toList()).toEqual([1, 1, 9, 9, 3, 3, 8, 8, 0, 0]);
});

test("mergeFeatures refuses a feature count that differs from the image tokens", () => {
  using embeds = mx.zeros([1, 3, 2]);
  using feats = mx.zeros([2, 2]);
  expect(() => mergeFeatures(embeds, feats, { featurePositions: [0] })).toThrow(/1 image tokens but the images give 2/);
});

test("positionsOf", () => {
  expect(positionsOf([5, 7, 5, 1], 5)).toEqual([0, 2]);
  expect(positionsOf([1, 2], 9)).toEqual([]);
});
