import { expect, test } from "bun:test";
import * as mx from "../index.ts";

test("100,000 create/add/eval/dispose cycles leave no live native arrays", async () => {
  // Let finalizers of arrays other suites dropped run first, so only this loop moves the count.
  Bun.gc(true);
  await Bun.sleep(1);
  Bun.gc(true);
  const before = mx.info().liveArrays;
  for (let i = 0; i < 100_000; i++) {
    const a = mx.array([i, 1]);
    const b = mx.add(a, a);
    b.eval();
    b.dispose();
    a.dispose();
  }
  expect(mx.info().liveArrays).toBe(before);
}, 30_000);
