import { InvalidRequestError, NoFreeBlocksError } from "./errors.ts";
import { FreeBlockQueue } from "./free-block-queue.ts";
import type { BlockHasher } from "./hashing.ts";
import { blockExtraKeys } from "./mm-keys.ts";
import { type Block, emptyBlock, type ExtraKeysOf, PrefixCache, type PrefixCacheStats } from "./prefix-cache.ts";
import type { Sequence } from "./sequence.ts";

export interface BlockManagerOptions {
  enablePrefixCaching?: boolean;
  /** Replaces the default xxHash64 block hash (tests inject colliding hashers). */
  hasher?: BlockHasher;
  /**
   * Blocks backed by memory at the start (default: all of `numBlocks`). Block ids at or past the backed count
   * are handed out only when every backed block is taken, cached content included: the backed count then
   * doubles (up to `numBlocks`), and the owner of the KV memory grows to {@link BlockManager.numBackedBlocks}.
   */
  initialBlocks?: number;
}

/**
 * Paged KV block pool with reference counts and prefix caching (the index is {@link PrefixCache}). Only
 * full, computed blocks are ever shared, so a sequence never writes into a block another one holds (a prompt found
 * whole recomputes its last token for the logits without writing its KV: see Sequence.numCachedTokens). Freed
 * blocks keep their content and are evicted least recently freed first; a hit revives a free block.
 *
 * Growth: the pool may start with fewer backed blocks than `numBlocks` (the budget). Cached blocks are evicted
 * before the backed count grows, so backed memory follows the peak of blocks in use; `shrink` gives it back.
 *
 * @example
 * const bm = new BlockManager(64, 16, { enablePrefixCaching: true });
 * if (bm.canAllocate(seq)) bm.allocate(seq); // seq.blockTable, seq.numCachedTokens set
 */
export class BlockManager {
  readonly enablePrefixCaching: boolean;
  readonly #blocks: Block[];
  readonly #free: FreeBlockQueue;
  readonly #cache: PrefixCache;
  #numBacked: number;
  readonly #initialBlocks: number;
  #growthLimit: number;

  constructor(
    readonly numBlocks: number,
    readonly blockSize: number,
    options: BlockManagerOptions = {},
  ) {
    this.enablePrefixCaching = options.enablePrefixCaching ?? true;
    this.#blocks = Array.from({ length: numBlocks }, () => emptyBlock(0));
    this.#cache = new PrefixCache(this.#blocks, blockSize, options.hasher);
    const initial = options.initialBlocks ?? numBlocks;
    if (!Number.isInteger(initial) || initial < 1 || initial > numBlocks) {
      throw new InvalidRequestError(`initialBlocks must be an integer in [1, ${numBlocks}], got ${initial}`);
    }
    this.#initialBlocks = this.#numBacked = initial;
    this.#growthLimit = numBlocks;
    this.#free = new FreeBlockQueue(numBlocks);
    this.#free.reset(initial);
  }

  /** Blocks not held by a sequence: backed free blocks (cached ones included) plus the budget not yet backed. */
  get numFreeBlocks(): number {
    return this.#free.length + Math.max(0, this.#maxBacked - this.#numBacked);
  }

  /**
   * The most blocks the pool may be backed by for now (at most numBlocks): the owner lowers it when the machine
   * runs short of memory, so that requests wait (or are refused) instead of growing the pool into a device abort.
   */
  get growthLimit(): number {
    return this.#growthLimit;
  }

  set growthLimit(blocks: number) {
    this.#growthLimit = Math.max(0, Math.floor(blocks));
  }

  /** Whether growth is held below the budget. */
  get growthLimited(): boolean {
    return this.#maxBacked < this.numBlocks;
  }

  get #maxBacked(): number {
    return Math.min(this.numBlocks, Math.max(this.#numBacked, this.#growthLimit));
  }

  /** Blocks backed by memory: every block id handed out so far is below this. */
  get numBackedBlocks(): number {
    return this.#numBacked;
  }

  /** Blocks held by sequences. */
  get numUsedBlocks(): number {
    return this.#numBacked - this.#free.length;
  }

  /** Fraction of blocks in use by sequences (cached-but-free blocks count as free). */
  usage(): number {
    return 1 - this.numFreeBlocks / this.numBlocks;
  }

  get prefixCacheStats(): PrefixCacheStats {
    return { ...this.#cache.stats };
  }

  refCount(blockId: number): number {
    return this.#blocks[blockId]?.refCount ?? 0;
  }

  /** Whether a block's content is currently findable in the prefix cache. */
  isCached(blockId: number): boolean {
    return this.#cache.isCached(blockId);
  }

  /** Free block ids in eviction order (first is evicted next). */
  freeBlockIds(): number[] {
    return [...this.#free];
  }

  canAllocate(seq: Sequence): boolean {
    return this.#fits(seq, this.#findCachedBlocks(seq));
  }

  /**
   * Gives `seq` blocks for all its tokens, reusing cached prefix blocks; sets numCachedTokens/numComputedTokens. When
   * every block is cached the last token is still computed (its logits give the first output), as one token.
   */
  allocate(seq: Sequence): void {
    if (!this.tryAllocate(seq)) throw new NoFreeBlocksError(seq.numBlocks(this.blockSize), this.numFreeBlocks);
  }

  /** {@link allocate} when the blocks are there (the prefix cache is looked up once); false, changing nothing, when not. */
  tryAllocate(seq: Sequence): boolean {
    if (seq.blockTable.length > 0) throw new InvalidRequestError(`sequence ${seq.id} already holds blocks`);
    const hits = this.#findCachedBlocks(seq);
    if (!this.#fits(seq, hits)) return false;
    for (const id of hits) this.#acquire(id);
    const table = [...hits];
    while (table.length < seq.numBlocks(this.blockSize)) table.push(this.#takeFresh());
    seq.blockTable = table;
    seq.numCachedTokens = hits.length * this.blockSize;
    seq.numComputedTokens = Math.min(seq.numCachedTokens, seq.numTokens - 1);
    if (this.enablePrefixCaching) this.#count(seq, hits);
    return true;
  }

  /** Whether `seq`'s blocks past the cached `hits` can be handed out (reviving a free cached block takes one too). */
  #fits(seq: Sequence, hits: readonly number[]): boolean {
    const revived = hits.filter((id) => this.#blocks[id]!.refCount === 0).length;
    return this.numFreeBlocks - revived >= seq.numBlocks(this.blockSize) - hits.length;
  }

  #count(seq: Sequence, hits: readonly number[]): void {
    const stats = this.#cache.stats;
    stats.queries += seq.numTokens;
    stats.hits += seq.numCachedTokens;
    stats.requests++;
    if (hits.length > 0) stats.requestHits++;
    if (hits.some((id) => this.#blocks[id]!.extraKeys !== null)) stats.mmHits++;
  }

  /** Whether the next `numNewTokens` KV slots of `seq` can be given blocks. */
  canAppend(seq: Sequence, numNewTokens = 1): boolean {
    return this.#blocksNeeded(seq, numNewTokens) <= this.numFreeBlocks;
  }

  /** Gives `seq` blocks for KV slots `[numComputedTokens, numComputedTokens + numNewTokens)`. */
  mayAppend(seq: Sequence, numNewTokens = 1): void {
    const needed = this.#blocksNeeded(seq, numNewTokens);
    if (needed > this.numFreeBlocks) throw new NoFreeBlocksError(needed, this.numFreeBlocks);
    for (let i = 0; i < needed; i++) seq.blockTable.push(this.#takeFresh());
  }

  /** Registers every full block whose KV is computed (`numComputedTokens`) in the prefix cache. */
  cacheBlocks(seq: Sequence): void {
    if (!this.enablePrefixCaching) return;
    const numFull = Math.min(Math.floor(seq.numComputedTokens / this.blockSize), seq.blockTable.length);
    const extraKeysOf = this.#extraKeysOf(seq);
    let i = numFull;
    while (i > 0 && this.#blocks[seq.blockTable[i - 1]!]!.hash === null) i--;
    for (; i < numFull; i++) {
      const tokenIds = seq.tokenIds.slice(i * this.blockSize, (i + 1) * this.blockSize);
      this.#cache.register(seq.blockTable[i]!, i === 0 ? -1 : seq.blockTable[i - 1]!, tokenIds, extraKeysOf(i));
    }
  }

  /** Drops `seq`'s references, last block first, so a sequence's tail is evicted before its prefix. */
  free(seq: Sequence): void {
    for (let i = seq.blockTable.length - 1; i >= 0; i--) this.#release(seq.blockTable[i]!);
    seq.blockTable = [];
  }

  /**
   * Gives back backed blocks past `target` (default: the initial count) when no block is in use. Cached
   * content in the blocks kept stays findable; the rest is forgotten. Returns the new backed count, or null
   * (and changes nothing) while a sequence holds blocks.
   */
  shrink(target = this.#initialBlocks): number | null {
    if (this.numUsedBlocks !== 0) return null;
    const keep = Math.max(1, Math.min(target, this.#numBacked));
    for (let id = keep; id < this.#numBacked; id++) {
      this.#free.remove(id);
      this.#cache.forget(id);
      this.#blocks[id] = emptyBlock(this.#blocks[id]!.generation + 1);
    }
    this.#numBacked = keep;
    return keep;
  }

  #findCachedBlocks(seq: Sequence): number[] {
    return this.enablePrefixCaching ? this.#cache.find(seq.tokenIds, this.#extraKeysOf(seq)) : [];
  }

  /** Block index -> the content hashes of the media items with tokens in that block. */
  #extraKeysOf(seq: Sequence): ExtraKeysOf {
    const items = seq.mmPlaceholders;
    if (items.length === 0) return () => null;
    return (i) => blockExtraKeys(items, i * this.blockSize, (i + 1) * this.blockSize);
  }

  #blocksNeeded(seq: Sequence, numNewTokens: number): number {
    const last = Math.floor((seq.numComputedTokens + numNewTokens - 1) / this.blockSize);
    return Math.max(0, last + 1 - seq.blockTable.length);
  }

  #takeFresh(): number {
    if (this.#free.length === 0) this.#grow();
    const id = this.#free.popFront();
    if (id < 0) throw new NoFreeBlocksError(1, 0);
    this.#cache.forget(id);
    const block = emptyBlock(this.#blocks[id]!.generation + 1);
    block.refCount = 1;
    this.#blocks[id] = block;
    return id;
  }

  /** Doubles the backed blocks (at least one more, at most numBlocks); the new ids join the free queue. */
  #grow(): void {
    const next = Math.min(this.#maxBacked, Math.max(this.#numBacked * 2, this.#numBacked + 1));
    for (let id = this.#numBacked; id < next; id++) this.#free.pushBack(id);
    this.#numBacked = next;
  }

  #acquire(id: number): void {
    const block = this.#blocks[id]!;
    if (block.refCount === 0) this.#free.remove(id);
    block.refCount++;
  }

  #release(id: number): void {
    const block = this.#blocks[id]!;
    if (--block.refCount > 0) return;
    // Blocks without findable content go to the front: reuse them before evicting cached ones.
    if (this.isCached(id)) this.#free.pushBack(id);
    else this.#free.pushFront(id);
  }
}
