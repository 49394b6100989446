/**
 * Wired (resident) memory, as mlx-lm sets it (mlx_lm/utils.py maybe_set_recommended_wired_limit and
 * generate.py wired_limit, 0.32.2): where the device reports `max_recommended_working_set_size` (Metal), the wired
 * limit is raised to it, so macOS keeps the model's buffers resident instead of paging them between steps; a model
 * above 90% of that size is warned about, since it will be slow. Elsewhere nothing is set. MLX applies the limit
 * on macOS 15 and later and ignores it on 14.
 */
import { deviceInfo, setWiredLimit } from "./memory.ts";

export interface WiredLimitPlan {
  /** The wired limit to set, or null where the device reports no recommended working set. */
  limitBytes: number | null;
  /** mlx-lm's warning for a model close to the recommended working set, else null. */
  warning: string | null;
}

const NEAR_LIMIT = 0.9;

/**
 * mlx-lm's decision for a device's recommended working set and a model's size.
 *
 * @example
 *   wiredLimitPlan(48 * 2 ** 30, 46 * 2 ** 30); // { limitBytes: 51539607552, warning: "the model needs 47104 MB, ..." }
 */
export function wiredLimitPlan(recommendedBytes: number | undefined, modelBytes: number): WiredLimitPlan {
  if (recommendedBytes === undefined || !(recommendedBytes > 0)) return { limitBytes: null, warning: null };
  const mb = (n: number) => Math.floor(n / 2 ** 20);
  const warning = modelBytes > NEAR_LIMIT * recommendedBytes
    ? `the model needs ${mb(modelBytes)} MB, close to the device's recommended working set of ` +
      `${mb(recommendedBytes)} MB: generation may be slow`
    : null;
  return { limitBytes: recommendedBytes, warning };
}

/** The device's recommended working set (Metal), or undefined. */
export function recommendedWorkingSet(): number | undefined {
  const value = deviceInfo()["max_recommended_working_set_size"];
  return typeof value === "number" ? value : undefined;
}

/**
 * Applies {@link wiredLimitPlan} to this device; returns the plan (log its warning).
 *
 * @example
 *   const { warning } = applyRecommendedWiredLimit(mx.getActiveMemory());
 */
export function applyRecommendedWiredLimit(modelBytes: number): WiredLimitPlan {
  const plan = wiredLimitPlan(recommendedWorkingSet(), modelBytes);
  if (plan.limitBytes !== null) setWiredLimit(plan.limitBytes);
  return plan;
}
