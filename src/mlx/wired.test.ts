import { describe, expect, test } from "bun:test";
import { applyRecommendedWiredLimit, recommendedWorkingSet, wiredLimitPlan } from "./wired.ts";

const GIB = 2 ** 30;

describe("wired limit, as mlx-lm sets it", () => {
  test("raised to the recommended working set whatever the model's size", () => {
    expect(wiredLimitPlan(48 * GIB, 1 * GIB)).toEqual({ limitBytes: 48 * GIB, warning: null });
  });

  test("a model above 90% of the recommended working set is warned about", () => {
    expect(wiredLimitPlan(48 * GIB, 0.9 * 48 * GIB).warning).toBeNull();
    expect(wiredLimitPlan(48 * GIB, 44 * GIB)).toEqual({
      limitBytes: 48 * GIB,
      warning: "the model needs 45056 MB, close to the device's recommended working set of 49152 MB: generation may be slow",
    });
  });

  test("nothing is set where the device reports no recommended working set", () => {
    expect(wiredLimitPlan(undefined, 100 * GIB)).toEqual({ limitBytes: null, warning: null });
    expect(wiredLimitPlan(0, 100 * GIB)).toEqual({ limitBytes: null, warning: null });
  });

  test("on this machine's device: applied only where MLX reports the working set (Metal)", () => {
    const recommended = recommendedWorkingSet();
    const plan = applyRecommendedWiredLimit(GIB);
    expect(plan.limitBytes).toBe(recommended ?? null);
  });
});
