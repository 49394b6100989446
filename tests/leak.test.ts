/**
 * Native leak check: 100,000 create / op / eval / dispose cycles must leave MLX's active memory (after
 * clearCache) and the count of live native arrays exactly where they started.
 */
import { expect, test } from "bun:test";
import * as mx from "../src/mlx/index.ts";

/** Runs pending finalizers of arrays other suites dropped, so only the loop under test moves the counters. */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    Bun.gc(true);
    await Bun.sleep(1);
  }
  mx.clearCache();
}

test("100,000 create/op/eval/dispose cycles return active memory and live arrays to their start", async () => {
  await settle();
  const liveBefore = mx.info().liveArrays;
  const activeBefore = mx.getActiveMemory();
  using w = mx.array([[1, 2], [3, 4]], { dtype: "float32" });
  let checksum = 0;
  for (let i = 0; i < 100_000; i++) {
    using x = mx.array([i, 1], { shape: [1, 2], dtype: "float32" });
    // One op per cycle, cycling through the kinds the engine uses: elementwise, with a scalar, matmul, reduction.
    using y = i % 4 === 0 ? mx.add(x, x) : i % 4 === 1 ? mx.multiply(x, 0.5) : i % 4 === 2 ? mx.matmul(x, w) : mx.sum(x);
    y.eval();
    if (i % 25_000 === 2) checksum += y.toList()[0]!;
  }
  // Rows 2, 25002, 50002, 75002 went through matmul: [i, 1] @ [[1, 2], [3, 4]] -> first element i + 3.
  expect(checksum).toBe(2 + 25_002 + 50_002 + 75_002 + 4 * 3);
  expect(mx.info().liveArrays).toBe(liveBefore + 1);
  w.dispose();
  await settle();
  expect(mx.info().liveArrays).toBe(liveBefore);
  expect(mx.getActiveMemory()).toBe(activeBefore);
  expect(mx.getCacheMemory()).toBe(0);
}, 30_000);

test("arrays dropped without dispose are freed by the finalizer safety net", async () => {
  await settle();
  const liveBefore = mx.info().liveArrays;
  const activeBefore = mx.getActiveMemory();
  (() => {
    for (let i = 0; i < 2_000; i++) mx.add(mx.array([i, 2, 3]), 1).eval();
  })();
  for (let i = 0; i < 20 && mx.info().liveArrays !== liveBefore; i++) await settle();
  expect(mx.info().liveArrays).toBe(liveBefore);
  expect(mx.getActiveMemory()).toBe(activeBefore);
}, 30_000);
