/**
 * Paged KV storage: per layer one key pool and one value pool, `[numBlocks, blockSize, numKvHeads, headDim]`.
 * Writes are scatters into the pool whose old handle is disposed first, so the scatter holds the pool's only
 * reference and MLX donates its buffer (an in-place write, no copy of the pool).
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

/** A KV block copy (copy-on-write after a fork). */
export interface KvBlockCopy {
  src: number;
  dst: number;
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
  readonly #keys: mx.Array[];
  readonly #values: mx.Array[];

  constructor(readonly spec: KvPoolSpec) {
    const shape = [spec.numBlocks, spec.blockSize, spec.numKvHeads, spec.headDim];
    this.#keys = Array.from({ length: spec.numLayers }, () => mx.zeros(shape, spec.dtype));
    this.#values = Array.from({ length: spec.numLayers }, () => mx.zeros(shape, spec.dtype));
    mx.evaluate(...this.#keys, ...this.#values);
  }

  get numSlots(): number {
    return this.spec.numBlocks * this.spec.blockSize;
  }

  /** Total bytes of all pools. */
  get nbytes(): number {
    return this.spec.numBlocks * bytesPerBlock(this.spec);
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

  /** Writes k, v (`[T, Hkv, D]`) at `slots` (int32 `[T]`) of `layer`, in place. */
  write(layer: number, k: mx.Array, v: mx.Array, slots: mx.Array): void {
    const T = slots.shape[0]!;
    using idx = mx.reshape(slots, [T, 1, 1]);
    this.#keys[layer] = this.#scatter(this.#keys[layer]!, idx, k);
    this.#values[layer] = this.#scatter(this.#values[layer]!, idx, v);
  }

  /** Performs block copies (all layers). The copied blocks are materialized first so the write stays in place. */
  copyBlocks(copies: readonly KvBlockCopy[]): void {
    if (copies.length === 0) return;
    const { blockSize: bs } = this.spec;
    const src: number[] = [];
    const dst: number[] = [];
    for (const c of copies) {
      for (let o = 0; o < bs; o++) {
        src.push(c.src * bs + o);
        dst.push(c.dst * bs + o);
      }
    }
    using srcSlots = mx.array(src, { dtype: "int32" });
    using dstSlots = mx.array(dst, { dtype: "int32" });
    for (let layer = 0; layer < this.spec.numLayers; layer++) {
      using k = this.#gatherSlots(this.#keys[layer]!, srcSlots);
      using v = this.#gatherSlots(this.#values[layer]!, srcSlots);
      mx.evaluate(k, v);
      this.write(layer, k, v, dstSlots);
    }
    mx.evaluate(...this.arrays());
  }

  dispose(): void {
    for (const a of this.arrays()) a.dispose();
    this.#keys.length = 0;
    this.#values.length = 0;
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  #gatherSlots(pool: mx.Array, slots: mx.Array): mx.Array {
    const { numKvHeads: H, headDim: D } = this.spec;
    using flat = mx.reshape(pool, [this.numSlots, H, D]);
    return mx.take(flat, slots, 0);
  }

  /** Consumes `pool` (its handle is disposed before the scatter is evaluated) and returns the written pool. */
  #scatter(pool: mx.Array, idx: mx.Array, rows: mx.Array): mx.Array {
    const { numBlocks, blockSize, numKvHeads: H, headDim: D } = this.spec;
    const flat = mx.reshape(pool, [this.numSlots, H, D]);
    pool.dispose();
    using cast = rows.dtype === this.spec.dtype ? null : mx.astype(rows, this.spec.dtype);
    const written = mx.putAlongAxis(flat, idx, cast ?? rows, 0);
    flat.dispose();
    using _w = written;
    return mx.reshape(written, [numBlocks, blockSize, H, D]);
  }
}
