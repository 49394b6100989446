import { describe, expect, test } from "bun:test";
import * as mx from "./index.ts";

describe("graphPrimitives", () => {
  test("counts each unevaluated primitive once, by name; evaluated arrays and leaves count nothing", () => {
    using a = mx.array([1, 2, 3], { dtype: "float32" });
    using b = mx.add(a, a);
    using c = mx.multiply(b, b);
    using d = mx.add(c, b); // b is reached twice: counted once
    expect(mx.graphPrimitives(d)).toEqual({ Add: 2, Multiply: 1 });
    expect(mx.graphPrimitives(d, c)).toEqual({ Add: 2, Multiply: 1 });
    mx.evaluate(b);
    expect(mx.graphPrimitives(d)).toEqual({ Add: 1, Multiply: 1 });
    mx.evaluate(d);
    expect(mx.graphPrimitives(d)).toEqual({});
    expect(mx.graphPrimitives()).toEqual({});
  });

  test("a multi-output primitive counts once for all its outputs", () => {
    using x = mx.array([1, 2, 3, 4], { dtype: "float32" });
    const parts = mx.split(x, 2, 0);
    try {
      expect(mx.graphPrimitives(...parts)).toEqual({ Split: 1 });
    } finally {
      for (const p of parts) p.dispose();
    }
  });
});
