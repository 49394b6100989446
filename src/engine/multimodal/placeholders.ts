/**
 * A request's media items as the prefix cache sees them: each item's content hash at its placeholder range.
 * The processor finds the ranges (`placeholderRanges` in models/vision/processor.ts), media decoding gives the
 * hashes (`DecodedMedia.contentHash`: sha256 of the decoded pixels; a video's with its fps and max frames).
 */
import { checkPlaceholders, type MultiModalPlaceholder } from "../core/mm-keys.ts";
import { InvalidRequestError } from "../protocol.ts";

/**
 * Pairs items with their `[start, end)` ranges, in prompt order. Throws {@link InvalidRequestError} when the
 * counts differ or the ranges cannot belong to a prompt of `numPromptTokens` tokens.
 *
 * @example
 * toPlaceholders([{ contentHash: "ab12…" }], [[5, 69]], 80); // [{ hash: "ab12…", offset: 5, length: 64 }]
 */
export function toPlaceholders(
  items: readonly { contentHash: string }[],
  ranges: readonly (readonly [number, number])[],
  numPromptTokens: number,
): MultiModalPlaceholder[] {
  if (items.length !== ranges.length) throw new InvalidRequestError(`${items.length} media items but ${ranges.length} placeholder ranges in the prompt`);
  const placeholders = items.map((item, i) => ({ hash: item.contentHash, offset: ranges[i]![0], length: ranges[i]![1] - ranges[i]![0] }));
  const problem = checkPlaceholders(placeholders, numPromptTokens);
  if (problem !== null) throw new InvalidRequestError(problem);
  return placeholders;
}
