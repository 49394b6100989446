import { InvalidRequestError, NoFreeBlocksError } from "./errors.ts";
import { FreeBlockQueue } from "./free-block-queue.ts";
import { type BlockHasher, hashBlockTokens } from "./hashing.ts";
import type { Sequence } from "./sequence.ts";

/** A KV block copy the model runner must perform (all of a step's copies, before that step writes KV). */
export interface BlockCopy {
  src: number;
  dst: number;
}

/** Prefix-cache counters, in tokens: `hits / queries` is the hit rate. */
export interface PrefixCacheStats {
  queries: number;
  hits: number;
}

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

interface Block {
  refCount: number;
  /** Chained content hash, set once the block is full and computed. */
  hash: bigint | null;
  tokenIds: readonly number[] | null;
  /** The block before this one when it was hashed (-1 for a first block) and that block's generation then. */
  parent: number;
  parentGeneration: number;
  /** Bumped each time the block is handed out fresh, so a stale parent link never matches. */
  generation: number;
}

/**
 * Paged KV block pool with reference counts and prefix caching.
 *
 * Prefix caching: a full, computed block is registered under `hash(parentHash, tokens)`. A lookup hit is
 * accepted only if the block's stored tokens equal the sequence's tokens and its recorded parent is the block
 * just matched (same generation), so a hash collision is rejected and a hit is exact. Freed blocks keep their
 * content and are evicted least recently freed first; a hit revives a free block.
 *
 * Forking uses copy-on-write: `fork` shares every block that holds computed KV; `mayAppend` gives a sequence
 * its own copy of a shared block before it writes into it and returns the `{src, dst}` copies to perform.
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
  readonly #hashToBlock = new Map<bigint, number>();
  readonly #hasher: BlockHasher;
  #stats: PrefixCacheStats = { queries: 0, hits: 0 };
  #numBacked: number;
  readonly #initialBlocks: number;
  #growthLimit: number;

  constructor(
    readonly numBlocks: number,
    readonly blockSize: number,
    options: BlockManagerOptions = {},
  ) {
    this.enablePrefixCaching = options.enablePrefixCaching ?? true;
    this.#hasher = options.hasher ?? hashBlockTokens;
    this.#blocks = Array.from({ length: numBlocks }, () => emptyBlock(0));
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
    return { ...this.#stats };
  }

  refCount(blockId: number): number {
    return this.#blocks[blockId]?.refCount ?? 0;
  }

  /** Whether a block's content is currently findable in the prefix cache. */
  isCached(blockId: number): boolean {
    const hash = this.#blocks[blockId]?.hash;
    return hash != null && this.#hashToBlock.get(hash) === blockId;
  }

  /** Free block ids in eviction order (first is evicted next). */
  freeBlockIds(): number[] {
    return [...this.#free];
  }

  canAllocate(seq: Sequence): boolean {
    const hits = this.#findCachedBlocks(seq);
    const revived = hits.filter((id) => this.#blocks[id]!.refCount === 0).length;
    return this.numFreeBlocks - revived >= seq.numBlocks(this.blockSize) - hits.length;
  }

  /** Gives `seq` blocks for all its tokens, reusing cached prefix blocks; sets numCachedTokens/numComputedTokens. */
  allocate(seq: Sequence): void {
    if (seq.blockTable.length > 0) throw new InvalidRequestError(`sequence ${seq.id} already holds blocks`);
    if (!this.canAllocate(seq)) throw new NoFreeBlocksError(seq.numBlocks(this.blockSize), this.numFreeBlocks);
    const hits = this.#findCachedBlocks(seq);
    for (const id of hits) this.#acquire(id);
    const table = [...hits];
    while (table.length < seq.numBlocks(this.blockSize)) table.push(this.#takeFresh());
    seq.blockTable = table;
    seq.numCachedTokens = hits.length * this.blockSize;
    seq.numComputedTokens = seq.numCachedTokens;
    if (this.enablePrefixCaching) {
      this.#stats.queries += seq.numTokens;
      this.#stats.hits += seq.numCachedTokens;
    }
  }

  /** Whether the next `numNewTokens` KV slots of `seq` can be made writable (new blocks plus copy-on-write). */
  canAppend(seq: Sequence, numNewTokens = 1): boolean {
    return this.#blocksNeeded(seq, numNewTokens) <= this.numFreeBlocks;
  }

  /**
   * Makes KV slots `[numComputedTokens, numComputedTokens + numNewTokens)` writable: adds blocks at a block
   * boundary and replaces shared blocks by private ones. Returns the copies the runner must perform first.
   */
  mayAppend(seq: Sequence, numNewTokens = 1): BlockCopy[] {
    const needed = this.#blocksNeeded(seq, numNewTokens);
    if (needed > this.numFreeBlocks) throw new NoFreeBlocksError(needed, this.numFreeBlocks);
    const copies: BlockCopy[] = [];
    const first = Math.floor(seq.numComputedTokens / this.blockSize);
    const last = Math.floor((seq.numComputedTokens + numNewTokens - 1) / this.blockSize);
    for (let i = first; i <= Math.min(last, seq.blockTable.length - 1); i++) {
      const src = seq.blockTable[i]!;
      if (this.#blocks[src]!.refCount <= 1) continue;
      const dst = this.#takeFresh();
      if (i * this.blockSize < seq.numComputedTokens) copies.push({ src, dst });
      this.#release(src);
      seq.blockTable[i] = dst;
    }
    while (seq.blockTable.length <= last) seq.blockTable.push(this.#takeFresh());
    return copies;
  }

  /** Registers every full block whose KV is computed (`numComputedTokens`) in the prefix cache. */
  cacheBlocks(seq: Sequence): void {
    if (!this.enablePrefixCaching) return;
    const numFull = Math.min(Math.floor(seq.numComputedTokens / this.blockSize), seq.blockTable.length);
    let i = numFull;
    while (i > 0 && this.#blocks[seq.blockTable[i - 1]!]!.hash === null) i--;
    for (; i < numFull; i++) {
      const parent = i === 0 ? -1 : seq.blockTable[i - 1]!;
      const parentHash = parent < 0 ? null : this.#blocks[parent]!.hash;
      const tokenIds = seq.tokenIds.slice(i * this.blockSize, (i + 1) * this.blockSize);
      this.#register(seq.blockTable[i]!, parent, parentHash, tokenIds);
    }
  }

  /** Shares `parent`'s computed KV blocks with `child` (copy-on-write); `child` must repeat those tokens. */
  fork(parent: Sequence, child: Sequence): void {
    const n = parent.numComputedTokens;
    if (child.blockTable.length > 0) throw new InvalidRequestError(`sequence ${child.id} already holds blocks`);
    if (child.numTokens <= n || child.tokenIds.slice(0, n).some((t, i) => t !== parent.tokenIds[i])) {
      throw new InvalidRequestError(`sequence ${child.id} does not extend the computed tokens of ${parent.id}`);
    }
    child.blockTable = parent.blockTable.slice(0, Math.ceil(n / this.blockSize));
    for (const id of child.blockTable) this.#acquire(id);
    child.numComputedTokens = n;
    child.numCachedTokens = 0;
  }

  /** Drops `seq`'s references, last block first, so a sequence's tail is evicted before its prefix. */
  free(seq: Sequence): void {
    for (let i = seq.blockTable.length - 1; i >= 0; i--) this.#release(seq.blockTable[i]!);
    seq.blockTable = [];
  }

  /** Forgets all cached content if no block is in use; returns false (and changes nothing) otherwise. */
  resetPrefixCache(): boolean {
    if (this.numUsedBlocks !== 0) return false;
    this.reset();
    return true;
  }

  /** Returns the pool to its initial state; sequences still holding blocks must be discarded. */
  reset(): void {
    for (let id = 0; id < this.numBlocks; id++) this.#blocks[id] = emptyBlock(this.#blocks[id]!.generation + 1);
    this.#hashToBlock.clear();
    this.#free.reset(this.#numBacked);
    this.#stats = { queries: 0, hits: 0 };
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
      const old = this.#blocks[id]!;
      if (old.hash !== null && this.#hashToBlock.get(old.hash) === id) this.#hashToBlock.delete(old.hash);
      this.#blocks[id] = emptyBlock(old.generation + 1);
    }
    this.#numBacked = keep;
    return keep;
  }

  #findCachedBlocks(seq: Sequence): number[] {
    const hits: number[] = [];
    if (!this.enablePrefixCaching) return hits;
    const maxHits = Math.floor((seq.numTokens - 1) / this.blockSize);
    let parentHash: bigint | null = null;
    for (let i = 0; i < maxHits; i++) {
      const tokenIds = seq.tokenIds.slice(i * this.blockSize, (i + 1) * this.blockSize);
      const hash = this.#hasher(parentHash, tokenIds);
      const id = this.#hashToBlock.get(hash);
      if (id === undefined || !this.#matches(id, hits[i - 1] ?? -1, tokenIds)) break;
      hits.push(id);
      parentHash = hash;
    }
    return hits;
  }

  #matches(id: number, parent: number, tokenIds: readonly number[]): boolean {
    const block = this.#blocks[id]!;
    if (block.parent !== parent) return false;
    if (parent >= 0 && block.parentGeneration !== this.#blocks[parent]!.generation) return false;
    const stored = block.tokenIds;
    return stored !== null && stored.length === tokenIds.length && stored.every((t, i) => t === tokenIds[i]);
  }

  #register(id: number, parent: number, parentHash: bigint | null, tokenIds: readonly number[]): void {
    const block = this.#blocks[id]!;
    const hash = this.#hasher(parentHash, tokenIds);
    block.hash = hash;
    block.tokenIds = tokenIds;
    block.parent = parent;
    block.parentGeneration = parent < 0 ? 0 : this.#blocks[parent]!.generation;
    const existing = this.#hashToBlock.get(hash);
    // Keep an exact duplicate already cached; replace a colliding or stale entry.
    if (existing === undefined || !this.#matches(existing, parent, tokenIds)) this.#hashToBlock.set(hash, id);
  }

  #blocksNeeded(seq: Sequence, numNewTokens: number): number {
    const first = Math.floor(seq.numComputedTokens / this.blockSize);
    const last = Math.floor((seq.numComputedTokens + numNewTokens - 1) / this.blockSize);
    let needed = Math.max(0, last + 1 - seq.blockTable.length);
    for (let i = first; i <= Math.min(last, seq.blockTable.length - 1); i++) {
      if (this.#blocks[seq.blockTable[i]!]!.refCount > 1) needed++;
    }
    return needed;
  }

  #takeFresh(): number {
    if (this.#free.length === 0) this.#grow();
    const id = this.#free.popFront();
    if (id < 0) throw new NoFreeBlocksError(1, 0);
    const old = this.#blocks[id]!;
    if (old.hash !== null && this.#hashToBlock.get(old.hash) === id) this.#hashToBlock.delete(old.hash);
    const block = emptyBlock(old.generation + 1);
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

function emptyBlock(generation: number): Block {
  return { refCount: 0, hash: null, tokenIds: null, parent: -1, parentGeneration: 0, generation };
}
