/**
 * The encoder-output cache: vision-tower outputs keyed by their item's content hash (the hash that also keys
 * the prefix cache's blocks, see core/mm-keys.ts), least recently used first out, under a byte budget
 * (`--mm-cache-bytes`). A repeated image is not encoded again even after its KV blocks were evicted.
 *
 * An entry in use (acquired by a request whose prefill still needs it, e.g. an image split across prefill
 * chunks) is never evicted; the cache owns its values and hands each evicted one to `onEvict` (which frees it).
 */

/** 512 MiB: about 70 images of 1,000 tokens at a hidden size of 3,584 in bfloat16. */
export const DEFAULT_MM_CACHE_BYTES = 512 * 2 ** 20;

export interface EncoderCacheStats {
  /** Lookups that found the item's encoder output, and those that did not. */
  hits: number;
  misses: number;
  /** Entries dropped to stay within the budget. */
  evictions: number;
  /** Entries held now, their bytes, and the budget. */
  entries: number;
  bytes: number;
  budgetBytes: number;
}

interface Entry<V> {
  value: V;
  bytes: number;
  /** Requests using the value now; an entry with users is not evicted. */
  users: number;
}

export interface EncoderCacheOptions<V> {
  /** Called with each value the cache drops (eviction or clear), e.g. to free device memory. */
  onEvict?: (value: V, hash: string) => void;
}

/**
 * @example
 * const cache = new EncoderCache<mx.Array>(DEFAULT_MM_CACHE_BYTES, { onEvict: (a) => a.dispose() });
 * let features = cache.get(item.hash);
 * if (!features) {
 *   features = model.encode(item);
 *   if (!cache.put(item.hash, features, features.nbytes)) ownIt(features); // larger than what can be freed
 * }
 */
export class EncoderCache<V> {
  /** Insertion order is recency order: the first entry is the least recently used. */
  readonly #entries = new Map<string, Entry<V>>();
  readonly #onEvict: ((value: V, hash: string) => void) | undefined;
  #bytes = 0;
  #hits = 0;
  #misses = 0;
  #evictions = 0;

  constructor(
    readonly budgetBytes: number = DEFAULT_MM_CACHE_BYTES,
    options: EncoderCacheOptions<V> = {},
  ) {
    if (!Number.isSafeInteger(budgetBytes) || budgetBytes < 0) throw new RangeError(`the encoder cache budget must be a whole number of bytes >= 0, got ${budgetBytes}`);
    this.#onEvict = options.onEvict;
  }

  /** The encoder output of item `hash` (and marks it most recently used), or undefined; counts a hit or a miss. */
  get(hash: string): V | undefined {
    const entry = this.#entries.get(hash);
    if (!entry) {
      this.#misses++;
      return undefined;
    }
    this.#hits++;
    this.#touch(hash, entry);
    return entry.value;
  }

  /** Whether item `hash` is cached, without counting or touching it. */
  has(hash: string): boolean {
    return this.#entries.has(hash);
  }

  /**
   * Stores `value` (`bytes` long) under `hash`, evicting least recently used entries not in use until it fits.
   * Returns false, storing nothing and evicting nothing, when it cannot fit: then the caller keeps the value.
   * A hash already present keeps its old value and is touched; the result says whether the cache holds `value`
   * itself (false: the caller keeps it).
   */
  put(hash: string, value: V, bytes: number): boolean {
    if (!Number.isSafeInteger(bytes) || bytes < 0) throw new RangeError(`entry size must be a whole number of bytes >= 0, got ${bytes}`);
    const existing = this.#entries.get(hash);
    if (existing) {
      this.#touch(hash, existing);
      return existing.value === value;
    }
    if (bytes > this.budgetBytes - this.#pinnedBytes()) return false;
    for (const [oldHash, entry] of this.#entries) {
      if (this.#bytes + bytes <= this.budgetBytes) break;
      if (entry.users === 0) this.#drop(oldHash, entry, true);
    }
    this.#entries.set(hash, { value, bytes, users: 0 });
    this.#bytes += bytes;
    return true;
  }

  /** Marks item `hash` in use (not evictable) until {@link release}; false when it is not cached. */
  acquire(hash: string): boolean {
    const entry = this.#entries.get(hash);
    if (!entry) return false;
    entry.users++;
    return true;
  }

  release(hash: string): void {
    const entry = this.#entries.get(hash);
    if (entry && entry.users > 0) entry.users--;
  }

  /** Cached hashes from least to most recently used. */
  keys(): string[] {
    return [...this.#entries.keys()];
  }

  stats(): EncoderCacheStats {
    return {
      hits: this.#hits, misses: this.#misses, evictions: this.#evictions,
      entries: this.#entries.size, bytes: this.#bytes, budgetBytes: this.budgetBytes,
    };
  }

  /** Drops every entry not in use (each through `onEvict`); counters are kept. */
  clear(): void {
    for (const [hash, entry] of this.#entries) if (entry.users === 0) this.#drop(hash, entry, false);
  }

  #touch(hash: string, entry: Entry<V>): void {
    this.#entries.delete(hash);
    this.#entries.set(hash, entry);
  }

  #pinnedBytes(): number {
    let sum = 0;
    for (const entry of this.#entries.values()) if (entry.users > 0) sum += entry.bytes;
    return sum;
  }

  #drop(hash: string, entry: Entry<V>, eviction: boolean): void {
    this.#entries.delete(hash);
    this.#bytes -= entry.bytes;
    if (eviction) this.#evictions++;
    this.#onEvict?.(entry.value, hash);
  }
}
