/**
 * Placing encoder features at a prompt's placeholder tokens: one gather over the token embeddings, the
 * features and a zero row, so text, image and padding positions are filled in one op.
 */
import * as mx from "../../mlx/index.ts";

export interface MergePlan {
  /** Positions (in prompt order) that take the next feature row. */
  featurePositions: readonly number[];
  /** Positions whose embedding is zeroed (Gemma 3's padding tokens). */
  zeroPositions?: readonly number[];
}

/**
 * embeds: `[1, L, D]` token embeddings; features: `[T, D]` rows for the `T` feature positions, in order.
 * Returns `[1, L, D]` in the embeddings' dtype.
 *
 * @example
 *   mergeFeatures(embeds, feats, { featurePositions: [3, 4, 5] })
 */
export function mergeFeatures(embeds: mx.Array, features: mx.Array, plan: MergePlan): mx.Array {
  const [B, L, D] = embeds.shape as [number, number, number];
  const T = features.shape[0]!;
  if (B !== 1) throw new RangeError(`mergeFeatures: one sequence at a time, got batch ${B}`);
  if (plan.featurePositions.length !== T) {
    throw new RangeError(`the prompt has ${plan.featurePositions.length} image tokens but the images give ${T} features`);
  }
  const index = Int32Array.from({ length: L }, (_, i) => i);
  plan.featurePositions.forEach((p, k) => (index[p] = L + k));
  for (const p of plan.zeroPositions ?? []) index[p] = L + T;
  using rows = mx.reshape(embeds, [L, D]);
  using feats = mx.astype(features, embeds.dtype);
  using zero = mx.zeros([1, D], embeds.dtype);
  using table = mx.concatenate([rows, feats, zero], 0);
  using idx = mx.array(index, { dtype: "int32" });
  using merged = mx.take(table, idx, 0);
  return mx.reshape(merged, [1, L, D]);
}

/** The positions of `tokenId` in `tokens`. */
export function positionsOf(tokens: readonly number[], tokenId: number): number[] {
  const out: number[] = [];
  tokens.forEach((t, i) => t === tokenId && out.push(i));
  return out;
}
