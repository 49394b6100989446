/**
 * Hash of one full KV block, chained on its parent block's hash so equal tokens at different prefixes differ.
 * `parentHash` is null for the first block of a sequence.
 */
export type BlockHasher = (parentHash: bigint | null, tokenIds: readonly number[]) => bigint;

const ROOT_SEED = 0x9e3779b97f4a7c15n;
const MASK_32 = 0xffffffffn;

/**
 * Default `BlockHasher`: xxHash64 (Bun.hash) over [parentHash as two int32 halves, ...tokens as int32].
 * Non-cryptographic; the block manager verifies tokens on every hit, so a collision costs only a miss.
 *
 * @example
 * const h0 = hashBlockTokens(null, [1, 2, 3, 4]);
 * const h1 = hashBlockTokens(h0, [5, 6, 7, 8]);
 */
export function hashBlockTokens(parentHash: bigint | null, tokenIds: readonly number[]): bigint {
  const words = new Int32Array(tokenIds.length + 3);
  words[0] = parentHash === null ? 0 : 1;
  if (parentHash !== null) {
    words[1] = Number(parentHash & MASK_32) | 0;
    words[2] = Number((parentHash >> 32n) & MASK_32) | 0;
  }
  words.set(tokenIds, 3);
  return Bun.hash.xxHash64(words, ROOT_SEED);
}
