/**
 * Hash of one full KV block, chained on its parent block's hash so equal tokens at different prefixes differ.
 * `parentHash` is null for the first block of a sequence. `extraKeys` are the content hashes of the images and
 * videos whose placeholder tokens the block holds (see mm-keys.ts); absent or null for a text-only block.
 */
export type BlockHasher = (parentHash: bigint | null, tokenIds: readonly number[], extraKeys?: readonly string[] | null) => bigint;

const ROOT_SEED = 0x9e3779b97f4a7c15n;
const MASK_32 = 0xffffffffn;

const encoder = new TextEncoder();

/**
 * Default `BlockHasher`: xxHash64 (Bun.hash) over [parentHash as two int32 halves, ...tokens as int32], then,
 * for a block holding media tokens, the extra keys' UTF-8 bytes each ended by a 0 byte.
 * Non-cryptographic; the block manager verifies tokens and extra keys on every hit, so a collision costs only a miss.
 *
 * @example
 * const h0 = hashBlockTokens(null, [1, 2, 3, 4]);
 * const h1 = hashBlockTokens(h0, [5, 6, 7, 8]);
 * const withImage = hashBlockTokens(h0, [9, 9, 9, 9], ["5f1c…"]); // differs from the same tokens with another image
 */
export function hashBlockTokens(parentHash: bigint | null, tokenIds: readonly number[], extraKeys?: readonly string[] | null): bigint {
  const words = new Int32Array(tokenIds.length + 3);
  words[0] = (parentHash === null ? 0 : 1) | (extraKeys ? 2 : 0);
  if (parentHash !== null) {
    words[1] = Number(parentHash & MASK_32) | 0;
    words[2] = Number((parentHash >> 32n) & MASK_32) | 0;
  }
  words.set(tokenIds, 3);
  if (!extraKeys) return Bun.hash.xxHash64(words, ROOT_SEED);
  const keys = encoder.encode(extraKeys.map((k) => `${k}\0`).join(""));
  const bytes = new Uint8Array(words.byteLength + keys.length);
  bytes.set(new Uint8Array(words.buffer), 0);
  bytes.set(keys, words.byteLength);
  return Bun.hash.xxHash64(bytes, ROOT_SEED);
}
