import { describe, expect, test } from "bun:test";
import { FreeBlockQueue } from "./free-block-queue.ts";

describe("FreeBlockQueue", () => {
  test("starts full in ascending order", () => {
    const q = new FreeBlockQueue(4);
    expect([...q]).toEqual([0, 1, 2, 3]);
    expect(q.length).toBe(4);
  });

  test("popFront takes from the front, -1 when empty", () => {
    const q = new FreeBlockQueue(2);
    expect(q.popFront()).toBe(0);
    expect(q.popFront()).toBe(1);
    expect(q.popFront()).toBe(-1);
    expect(q.length).toBe(0);
  });

  test("remove from the middle, head and tail", () => {
    const q = new FreeBlockQueue(5);
    q.remove(2);
    q.remove(0);
    q.remove(4);
    expect([...q]).toEqual([1, 3]);
    expect(q.has(2)).toBe(false);
    q.remove(2);
    expect(q.length).toBe(2);
  });

  test("pushBack and pushFront, moving an id already queued", () => {
    const q = new FreeBlockQueue(4);
    for (let i = 0; i < 4; i++) q.popFront();
    q.pushBack(2);
    q.pushBack(0);
    q.pushFront(3);
    expect([...q]).toEqual([3, 2, 0]);
    q.pushFront(0);
    expect([...q]).toEqual([0, 3, 2]);
    q.pushBack(0);
    expect([...q]).toEqual([3, 2, 0]);
    q.pushFront(3);
    expect([...q]).toEqual([3, 2, 0]);
    expect(q.length).toBe(3);
  });

  test("reset refills", () => {
    const q = new FreeBlockQueue(3);
    q.popFront();
    q.remove(2);
    q.reset();
    expect([...q]).toEqual([0, 1, 2]);
  });
});
