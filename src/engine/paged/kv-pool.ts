/**
 * Paged KV storage: per layer one key pool and one value pool, `[numBlocks, blockSize, numKvHeads, headDim]`.
 * Writes go through `mx.reshapeAndCache`, which writes the pools' buffers in place whatever else holds them, so
 * a step may be queued while the previous one still reads the pool (no pool copy, unlike an MLX scatter).
 * The pools are resized between steps (`resize`): the engine grows them as blocks are needed and shrinks them
 * when idle, so resident memory follows use rather than the budget.
 */
import * as mx from "../../mlx/index.ts";

export interface KvPoolSpec {
  numLayers: number;
  numBlocks: number;
  blockSize: number;
  numKvHeads: number;
  headDim: number;
  dtype: mx.Dtype;
}

/** Bytes of one block across all layers, keys and values. */
export function bytesPerBlock(spec: Omit<KvPoolSpec, "numBlocks">): number {
  return 2 * spec.numLayers * spec.blockSize * spec.numKvHeads * spec.headDim * mx.ITEM_SIZE[spec.dtype];
}

/**
 * The KV pools of every layer. Each pool has exactly one live handle, owned here; callers borrow it through
 * `keys(layer)` / `values(layer)` for the current step and never keep it.
 *
 * @example
 * const pool = new PagedKvPool({ numLayers: 2, numBlocks: 64, blockSize: 16, numKvHeads: 2, headDim: 16, dtype: "float32" });
 * pool.write(0, k, v, slots); // k, v: [T, Hkv, D]; slots: int32 [T] (block * blockSize + offset)
 */
export class PagedKvPool {
  /** The pools' buffers, evaluated when made; every write lands in them. */
  readonly #baseKeys: mx.Array[];
  readonly #baseValues: mx.Array[];
  #numBlocks: number;
  /** Per layer, the latest write's views of the base buffers (ordered after that write), else the base. */
  readonly #keys: mx.Array[];
  readonly #values: mx.Array[];

  /** `spec.numBlocks` is the initial size; {@link numBlocks} is the current one. */
  constructor(readonly spec: KvPoolSpec) {
    this.#numBlocks = spec.numBlocks;
    this.#baseKeys = Array.from({ length: spec.numLayers }, () => this.#zeros(spec.numBlocks));
    this.#baseValues = Array.from({ length: spec.numLayers }, () => this.#zeros(spec.numBlocks));
    mx.evaluate(...this.#baseKeys, ...this.#baseValues);
    this.#keys = [...this.#baseKeys];
    this.#values = [...this.#baseValues];
  }

  /** Blocks the pools hold now. */
  get numBlocks(): number {
    return this.#numBlocks;
  }

  get numSlots(): number {
    return this.#numBlocks * this.spec.blockSize;
  }

  /** Total bytes of all pools. */
  get nbytes(): number {
    return this.#numBlocks * bytesPerBlock(this.spec);
  }

  /**
   * Reallocates every pool to `numBlocks` blocks, keeping the content of the first `min(old, new)` blocks (new
   * blocks are zero). Waits for pending writes (it evaluates), and frees the old buffers.
   *
   * Ordering on GPU streams: the copy reads the old buffers as plain arrays, and MLX's CUDA backend orders
   * kernels within an evaluation only by the arrays they declare, which a pending in-place write does not (it
   * declares its token). So the pending writes are evaluated first, in an evaluation of their own; the copies
   * are evaluated before the new buffers are handed out, so later readers and writers follow them.
   *
   * @example
   * pool.resize(2 * pool.numBlocks); // blocks 0..old-1 keep their KV
   */
  resize(numBlocks: number): void {
    if (!Number.isInteger(numBlocks) || numBlocks < 1) throw new RangeError(`numBlocks must be a positive integer, got ${numBlocks}`);
    if (numBlocks === this.#numBlocks) return;
    const { numKvHeads: H, headDim: D, blockSize: bs } = this.spec;
    const kept = Math.min(numBlocks, this.#numBlocks) * bs;
    mx.evaluate(...this.#keys, ...this.#values); // the pending writes land before the copy reads the old pools
    using slots = mx.arange(0, kept, 1, "int32");
    for (let layer = 0; layer < this.spec.numLayers; layer++) {
      const k = this.#zeros(numBlocks);
      const v = this.#zeros(numBlocks);
      mx.evaluate(k, v); // a fresh buffer of its own: the in-place write lands in it
      {
        using oldK = this.#leadingSlots(this.#keys[layer]!, kept, H, D);
        using oldV = this.#leadingSlots(this.#values[layer]!, kept, H, D);
        const [kv, vv] = mx.reshapeAndCache(k, v, oldK, oldV, slots);
        mx.evaluate(kv, vv);
        kv.dispose();
        vv.dispose();
      }
      this.#replace(this.#keys, layer, null);
      this.#replace(this.#values, layer, null);
      this.#baseKeys[layer]!.dispose();
      this.#baseValues[layer]!.dispose();
      this.#baseKeys[layer] = this.#keys[layer] = k;
      this.#baseValues[layer] = this.#values[layer] = v;
    }
    this.#numBlocks = numBlocks;
  }

  keys(layer: number): mx.Array {
    return this.#keys[layer]!;
  }

  values(layer: number): mx.Array {
    return this.#values[layer]!;
  }

  /** Every pool handle (to evaluate the step's writes together with its outputs). */
  arrays(): mx.Array[] {
    return [...this.#keys, ...this.#values];
  }

  /**
   * Writes k, v (`[T, Hkv, D]`) at `slots` (int32 `[T]`) of `layer`, in place. `keys(layer)` / `values(layer)`
   * then return views ordered after this write (and, through the stream, after every earlier one).
   */
  write(layer: number, k: mx.Array, v: mx.Array, slots: mx.Array): void {
    const [kv, vv] = mx.reshapeAndCache(this.#baseKeys[layer]!, this.#baseValues[layer]!, k, v, slots);
    this.written(layer, kv, vv);
  }

  /** `layer`'s key and value buffers, for a native call that writes them itself (then {@link written}). */
  bases(layer: number): [mx.Array, mx.Array] {
    return [this.#baseKeys[layer]!, this.#baseValues[layer]!];
  }

  /** Takes the views a write of `layer`'s {@link bases} returned: `keys(layer)` / `values(layer)` are now them. */
  written(layer: number, kv: mx.Array, vv: mx.Array): void {
    this.#replace(this.#keys, layer, kv);
    this.#replace(this.#values, layer, vv);
  }

  dispose(): void {
    for (let l = 0; l < this.spec.numLayers; l++) {
      this.#replace(this.#keys, l, null);
      this.#replace(this.#values, l, null);
    }
    for (const a of [...this.#baseKeys, ...this.#baseValues]) a.dispose();
    this.#keys.length = 0;
    this.#values.length = 0;
    this.#baseKeys.length = 0;
    this.#baseValues.length = 0;
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  #zeros(numBlocks: number): mx.Array {
    const { blockSize, numKvHeads, headDim, dtype } = this.spec;
    return mx.zeros([numBlocks, blockSize, numKvHeads, headDim], dtype);
  }

  /** Slots `[0, n)` of a pool view as `[n, H, D]`. */
  #leadingSlots(pool: mx.Array, n: number, H: number, D: number): mx.Array {
    using flat = mx.reshape(pool, [this.numSlots, H, D]);
    return mx.slice(flat, [0, 0, 0], [n, H, D]);
  }

  /** Sets layer `layer`'s current view, disposing the previous one unless it is the base array. */
  #replace(views: mx.Array[], layer: number, next: mx.Array | null): void {
    const base = (views === this.#keys ? this.#baseKeys : this.#baseValues)[layer]!;
    const prev = views[layer]!;
    if (prev !== base) prev.dispose();
    views[layer] = next ?? base;
  }
}
