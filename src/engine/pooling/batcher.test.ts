import { describe, expect, test } from "bun:test";
import { PoolingBatcher } from "./batcher.ts";

const ids = (n: number) => ({ tokenIds: Array.from({ length: n }, (_, i) => i) });
const vec = (x: number) => Float32Array.of(x);

describe("PoolingBatcher", () => {
  test("inputs of several requests share one batch while rows x longest row fits the budget", () => {
    const b = new PoolingBatcher(40);
    b.add("r1", [ids(5), ids(8)]);
    b.add("r2", [ids(10)]);
    b.add("r3", [ids(4)]);
    const first = b.next()!;
    // 3 rows x 10 = 30 fits; a fourth row makes 4 x 10 = 40, which fits too.
    expect(first.items.map((i) => i.requestId)).toEqual(["r1", "r1", "r2", "r3"]);
    expect(b.next()).toBeNull();
    const done = b.complete(first, [vec(1), vec(2), vec(3), vec(4)]);
    expect(done).toEqual([
      { requestId: "r1", vectors: [vec(1), vec(2)] },
      { requestId: "r2", vectors: [vec(3)] },
      { requestId: "r3", vectors: [vec(4)] },
    ]);
  });

  test("a batch stops where the padded size would pass the budget; an input longer than the budget runs alone", () => {
    const b = new PoolingBatcher(16);
    b.add("long", [ids(30)]);
    b.add("r", [ids(6), ids(6), ids(6)]);
    expect(b.next()!.items.map((i) => i.input.tokenIds.length)).toEqual([30]);
    expect(b.next()!.items.length).toBe(2); // 3 x 6 = 18 > 16
    expect(b.next()!.items.length).toBe(1);
    expect(b.waiting).toBe(0);
  });

  test("a request completes only when all its inputs are done, in input order, across batches", () => {
    const b = new PoolingBatcher(10);
    b.add("r", [ids(5), ids(5), ids(5)]);
    const one = b.next()!;
    const two = b.next()!;
    expect(b.complete(two, [vec(3)])).toEqual([]);
    expect(b.complete(one, [vec(1), vec(2)])).toEqual([{ requestId: "r", vectors: [vec(1), vec(2), vec(3)] }]);
  });

  test("abort drops queued inputs and late results; fail drops the batch's requests", () => {
    const b = new PoolingBatcher(100);
    b.add("a", [ids(2)]);
    b.add("b", [ids(2)]);
    const batch = b.next()!;
    b.abort("a");
    expect(b.complete(batch, [vec(1), vec(2)])).toEqual([{ requestId: "b", vectors: [vec(2)] }]);
    b.add("c", [ids(2), ids(2)]);
    b.add("d", [ids(2)]);
    const next = b.next()!;
    expect(b.fail({ items: next.items.slice(0, 1) })).toEqual(["c"]);
    expect(b.waiting).toBe(0);
  });
});
