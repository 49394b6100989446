import { type BlockHasher, hashBlockTokens } from "./hashing.ts";
import { sameExtraKeys } from "./mm-keys.ts";

/** One KV block's bookkeeping: its holders and, once full and computed, its content for the prefix cache. */
export interface Block {
  refCount: number;
  /** Chained content hash, set once the block is full and computed. */
  hash: bigint | null;
  tokenIds: readonly number[] | null;
  /** Content hashes of the images and videos whose placeholder tokens the block holds (null: none). */
  extraKeys: readonly string[] | null;
  /** The block before this one when it was hashed (-1 for a first block) and that block's generation then. */
  parent: number;
  parentGeneration: number;
  /** Bumped each time the block is handed out fresh, so a stale parent link never matches. */
  generation: number;
}

export function emptyBlock(generation: number): Block {
  return { refCount: 0, hash: null, tokenIds: null, extraKeys: null, parent: -1, parentGeneration: 0, generation };
}

/**
 * Prefix-cache counters. `queries` and `hits` are prompt tokens looked up and found (`hits / queries` is the hit
 * rate, `hits` the prompt tokens saved); `requests` and `requestHits` count allocations and those that reused at
 * least one block, `mmHits` those whose reused blocks hold an image's or video's tokens; `evictions` counts cached
 * blocks whose content was dropped to make room (or memory).
 */
export interface PrefixCacheStats {
  queries: number;
  hits: number;
  requests: number;
  requestHits: number;
  mmHits: number;
  evictions: number;
}

/** The extra keys of block `index` of a sequence (see mm-keys.ts), null for a text-only block. */
export type ExtraKeysOf = (blockIndex: number) => readonly string[] | null;

const NO_EXTRA_KEYS: ExtraKeysOf = () => null;

export function emptyPrefixCacheStats(): PrefixCacheStats {
  return { queries: 0, hits: 0, requests: 0, requestHits: 0, mmHits: 0, evictions: 0 };
}

/**
 * The prefix cache's index over a block pool: a full, computed block is registered under
 * `hash(parentHash, tokens)`. A lookup hit is accepted only if the block's stored tokens equal the sequence's
 * tokens and its recorded parent is the block just matched (same generation), so a hash collision is rejected
 * and a hit is exact.
 *
 * @example
 * const cache = new PrefixCache(blocks, 16);
 * cache.register(7, -1, tokens.slice(0, 16));
 * cache.find(tokens); // [7]
 */
export class PrefixCache {
  readonly #hashToBlock = new Map<bigint, number>();
  readonly #hasher: BlockHasher;
  stats: PrefixCacheStats = emptyPrefixCacheStats();

  constructor(
    /** The pool's blocks, owned by the block manager (elements are replaced, the array is kept). */
    readonly blocks: Block[],
    readonly blockSize: number,
    hasher: BlockHasher = hashBlockTokens,
  ) {
    this.#hasher = hasher;
  }

  /** Whether a block's content is currently findable. */
  isCached(id: number): boolean {
    const hash = this.blocks[id]?.hash;
    return hash != null && this.#hashToBlock.get(hash) === id;
  }

  /**
   * The cached blocks that hold `tokenIds`' leading full blocks (the last one too, when `tokenIds` fills it).
   * `extraKeysOf` gives each block's media content hashes; a block matches only with the same ones.
   */
  find(tokenIds: readonly number[], extraKeysOf: ExtraKeysOf = NO_EXTRA_KEYS): number[] {
    const hits: number[] = [];
    const maxHits = Math.floor(tokenIds.length / this.blockSize);
    let parentHash: bigint | null = null;
    for (let i = 0; i < maxHits; i++) {
      const blockTokens = tokenIds.slice(i * this.blockSize, (i + 1) * this.blockSize);
      const extraKeys = extraKeysOf(i);
      const hash = this.#hasher(parentHash, blockTokens, extraKeys);
      const id = this.#hashToBlock.get(hash);
      if (id === undefined || !this.#matches(id, hits[i - 1] ?? -1, blockTokens, extraKeys)) break;
      hits.push(id);
      parentHash = hash;
    }
    return hits;
  }

  /** Registers full block `id` (holding `tokenIds` and media `extraKeys`, after block `parent` or -1) under its chained hash. */
  register(id: number, parent: number, tokenIds: readonly number[], extraKeys: readonly string[] | null = null): void {
    const block = this.blocks[id]!;
    const parentHash = parent < 0 ? null : this.blocks[parent]!.hash;
    const hash = this.#hasher(parentHash, tokenIds, extraKeys);
    block.hash = hash;
    block.tokenIds = tokenIds;
    block.extraKeys = extraKeys;
    block.parent = parent;
    block.parentGeneration = parent < 0 ? 0 : this.blocks[parent]!.generation;
    const existing = this.#hashToBlock.get(hash);
    // Keep an exact duplicate already cached; replace a colliding or stale entry.
    if (existing === undefined || !this.#matches(existing, parent, tokenIds, extraKeys)) this.#hashToBlock.set(hash, id);
  }

  /** Makes block `id`'s content unfindable (it is handed out fresh or given back); counts an eviction if it was findable. */
  forget(id: number): void {
    const hash = this.blocks[id]!.hash;
    if (hash === null || this.#hashToBlock.get(hash) !== id) return;
    this.#hashToBlock.delete(hash);
    this.stats.evictions++;
  }

  #matches(id: number, parent: number, tokenIds: readonly number[], extraKeys: readonly string[] | null): boolean {
    const block = this.blocks[id]!;
    if (!sameExtraKeys(block.extraKeys, extraKeys)) return false;
    if (block.parent !== parent) return false;
    if (parent >= 0 && block.parentGeneration !== this.blocks[parent]!.generation) return false;
    const stored = block.tokenIds;
    return stored !== null && stored.length === tokenIds.length && stored.every((t, i) => t === tokenIds[i]);
  }
}
