import * as mx from "../../mlx/index.ts";
import type { AttendOptions, LayerCache } from "../../nn/cache.ts";
import { pagedAttention } from "./attention.ts";
import type { PagedBatch } from "./batch.ts";
import type { PagedKvPool } from "./kv-pool.ts";

/**
 * One layer's view of the paged KV pool for one flattened forward (tokens `[T, 1]`): writes the new keys and
 * values at the batch's slots, then attends over each entry's block table. `ropeOffset` is each token's position.
 *
 * @example
 * const caches = model.layers.map((_, i) => new PagedLayerCache(pool, i, batch, positions));
 * using logits = model.forward(tokens, caches, { logitsRows });
 */
export class PagedLayerCache implements LayerCache {
  constructor(
    readonly pool: PagedKvPool,
    readonly layer: number,
    readonly batch: PagedBatch,
    readonly ropeOffset: number | mx.Array,
  ) {}

  attend(q: mx.Array, k: mx.Array, v: mx.Array, opts: AttendOptions): mx.Array {
    using kRows = tokenRows(k);
    using vRows = tokenRows(v);
    this.pool.write(this.layer, kRows, vRows, this.batch.slotMapping);
    return pagedAttention(q, this.pool.keys(this.layer), this.pool.values(this.layer), this.batch, opts);
  }
}

/** `[B, H, L, D]` -> `[B * L, H, D]` (row-major over batch then position, as the slot mapping). */
function tokenRows(x: mx.Array): mx.Array {
  const [B, H, L, D] = x.shape as [number, number, number, number];
  if (L === 1) return mx.reshape(x, [B, H, D]); // a flattened step's rows: already in token order
  using t = mx.transpose(x, [0, 2, 1, 3]);
  return mx.reshape(t, [B * L, H, D]);
}
