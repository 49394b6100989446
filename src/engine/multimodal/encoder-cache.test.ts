import { describe, expect, test } from "bun:test";
import { DEFAULT_MM_CACHE_BYTES, EncoderCache } from "./encoder-cache.ts";

function cacheWithLog(budget: number) {
  const evicted: string[] = [];
  const cache = new EncoderCache<string>(budget, { onEvict: (_value, hash) => evicted.push(hash) });
  return { cache, evicted };
}

describe("EncoderCache", () => {
  test("a miss, then a hit on the stored value", () => {
    const cache = new EncoderCache<string>(100);
    expect(cache.get("a")).toBeUndefined();
    expect(cache.put("a", "features-a", 40)).toBe(true);
    expect(cache.get("a")).toBe("features-a");
    expect(cache.stats()).toEqual({ hits: 1, misses: 1, evictions: 0, entries: 1, bytes: 40, budgetBytes: 100 });
  });

  test("evicts least recently used first, and a get makes an entry most recent", () => {
    const { cache, evicted } = cacheWithLog(100);
    cache.put("a", "A", 30);
    cache.put("b", "B", 30);
    cache.put("c", "C", 30);
    expect(cache.keys()).toEqual(["a", "b", "c"]);
    cache.get("a"); // order now b, c, a
    cache.put("d", "D", 30); // 120 > 100: b goes
    expect(evicted).toEqual(["b"]);
    expect(cache.keys()).toEqual(["c", "a", "d"]);
    cache.put("e", "E", 50); // 140 > 100: c, then a
    expect(evicted).toEqual(["b", "c", "a"]);
    expect(cache.keys()).toEqual(["d", "e"]);
    expect(cache.stats()).toMatchObject({ evictions: 3, entries: 2, bytes: 80 });
  });

  test("the byte budget holds after every put", () => {
    const { cache } = cacheWithLog(1000);
    let seed = 7;
    for (let i = 0; i < 200; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      cache.put(`item-${i}`, `v${i}`, 1 + (seed % 400));
      expect(cache.stats().bytes).toBeLessThanOrEqual(1000);
    }
    const s = cache.stats();
    expect(s.evictions + s.entries).toBe(200);
  });

  test("an entry larger than the budget is refused and evicts nothing", () => {
    const { cache, evicted } = cacheWithLog(100);
    cache.put("a", "A", 60);
    expect(cache.put("huge", "H", 101)).toBe(false);
    expect(cache.has("huge")).toBe(false);
    expect(evicted).toEqual([]);
    expect(cache.keys()).toEqual(["a"]);
  });

  test("an entry in use is not evicted; a put that cannot fit without it is refused", () => {
    const { cache, evicted } = cacheWithLog(100);
    cache.put("a", "A", 60);
    cache.put("b", "B", 30);
    expect(cache.acquire("a")).toBe(true);
    expect(cache.acquire("zzz")).toBe(false);
    expect(cache.put("c", "C", 50)).toBe(false); // only 40 bytes are evictable
    expect(evicted).toEqual([]);
    expect(cache.put("c", "C", 40)).toBe(true); // evicts b, not the older a
    expect(evicted).toEqual(["b"]);
    cache.release("a");
    cache.put("d", "D", 60); // a is free again: oldest unused goes first
    expect(evicted).toEqual(["b", "a"]);
    expect(cache.keys()).toEqual(["c", "d"]);
  });

  test("putting a hash already cached keeps the first value and touches it", () => {
    const { cache } = cacheWithLog(100);
    cache.put("a", "A", 10);
    cache.put("b", "B", 10);
    expect(cache.put("a", "A2", 10)).toBe(false);
    expect(cache.put("a", "A", 10)).toBe(true);
    expect(cache.keys()).toEqual(["b", "a"]);
    expect(cache.get("a")).toBe("A");
    expect(cache.stats().bytes).toBe(20);
  });

  test("clear hands every unused value to onEvict without counting evictions", () => {
    const { cache, evicted } = cacheWithLog(100);
    cache.put("a", "A", 10);
    cache.put("b", "B", 10);
    cache.acquire("b");
    cache.clear();
    expect(evicted).toEqual(["a"]);
    expect(cache.keys()).toEqual(["b"]);
    expect(cache.stats().evictions).toBe(0);
  });

  test("a zero budget caches nothing; bad sizes are refused", () => {
    const cache = new EncoderCache<string>(0);
    expect(cache.put("a", "A", 1)).toBe(false);
    expect(() => new EncoderCache<string>(-1)).toThrow(RangeError);
    expect(() => cache.put("a", "A", 1.5)).toThrow(RangeError);
    expect(new EncoderCache<string>().budgetBytes).toBe(DEFAULT_MM_CACHE_BYTES);
  });
});
