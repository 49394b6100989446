import { expect, test } from "bun:test";
import { queueLayersFromEnv } from "./core-types.ts";

test("VLLM_MLX_QUEUE_LAYERS: a count of layers (0 included), else unset", () => {
  expect([queueLayersFromEnv("7"), queueLayersFromEnv("0"), queueLayersFromEnv(" 4 ")]).toEqual([7, 0, 4]);
  for (const bad of ["", " ", "-1", "2.5", "seven"]) expect(queueLayersFromEnv(bad)).toBeUndefined();
});
