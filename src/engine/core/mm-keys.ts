/**
 * Multimodal extra keys for block hashes, vLLM's design: each image or video in a prompt is a run of placeholder
 * tokens whose KV depends on the item's content, not on the token ids (every image's placeholders are the same
 * id). So every block that holds any placeholder of an item hashes the item's content hash with its tokens: the
 * same image at the same place hits, a different image misses from the first block that holds its tokens.
 */

/** Where one image or video sits in a prompt, and the hash of its decoded content. */
export interface MultiModalPlaceholder {
  /** Content hash of the decoded item (video: with its sampling fps and max frames); see multimodal/content-hash.ts. */
  hash: string;
  /** Index of the item's first placeholder token in the prompt. */
  offset: number;
  /** Placeholder tokens of the item (> 0). */
  length: number;
}

/**
 * The content hashes of the items that hold any token of `[start, end)`, in prompt order; null when none does.
 * `placeholders` must be sorted by offset (see {@link checkPlaceholders}).
 *
 * @example
 * blockExtraKeys([{ hash: "a", offset: 3, length: 20 }], 16, 32); // ["a"]
 * blockExtraKeys([{ hash: "a", offset: 3, length: 10 }], 16, 32); // null
 */
export function blockExtraKeys(placeholders: readonly MultiModalPlaceholder[], start: number, end: number): string[] | null {
  let keys: string[] | null = null;
  for (const p of placeholders) {
    if (p.offset >= end) break;
    if (p.offset + p.length <= start) continue;
    (keys ??= []).push(p.hash);
  }
  return keys;
}

/**
 * Why `placeholders` cannot belong to a prompt of `numPromptTokens` tokens (null when they can): each has a
 * non-empty hash and a positive length, lies inside the prompt, and they are sorted without overlap.
 */
export function checkPlaceholders(placeholders: readonly MultiModalPlaceholder[], numPromptTokens: number): string | null {
  let end = 0;
  for (const [i, p] of placeholders.entries()) {
    if (typeof p.hash !== "string" || p.hash.length === 0) return `multimodal item ${i} has no content hash`;
    if (!Number.isInteger(p.offset) || !Number.isInteger(p.length) || p.length <= 0 || p.offset < 0) {
      return `multimodal item ${i} has offset ${p.offset} and length ${p.length}`;
    }
    if (p.offset < end) return `multimodal item ${i} (offset ${p.offset}) overlaps or precedes the item before it`;
    end = p.offset + p.length;
    if (end > numPromptTokens) return `multimodal item ${i} ends at ${end}, past the prompt's ${numPromptTokens} tokens`;
  }
  return null;
}

/** Whether two blocks' extra keys are equal (null means none). */
export function sameExtraKeys(a: readonly string[] | null, b: readonly string[] | null): boolean {
  if (a === null || b === null) return a === b;
  return a.length === b.length && a.every((k, i) => k === b[i]);
}
