import * as mx from "../../mlx/index.ts";
import type { AttendOptions, LayerCache } from "../../nn/cache.ts";
import { decodeMaskOf, decodesNeedMask, kernelsAllowed, pagedAttention } from "./attention.ts";
import type { PagedBatch } from "./batch.ts";
import type { PagedKvPool } from "./kv-pool.ts";

/**
 * One layer's view of the paged KV pool for one flattened forward (tokens `[T, 1]`): writes the new keys and
 * values at the batch's slots, then attends over each entry's block table. `ropeOffset` is each token's position.
 * A step of decodes takes the whole attention block in one native call (`attendBlock`).
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

  /** A step of decodes alone (one group), without soft-capping: the block, pool write included, in one call. */
  attendBlock(block: mx.NativeAttention, x: mx.Array, norm: mx.NormWeight | null, opts: AttendOptions): mx.Array | null {
    const { groups, slotMapping } = this.batch;
    const g = groups.length === 1 ? groups[0]! : null;
    if (!g || g.kind !== "decodes" || opts.softcap !== null || BLOCK_OFF) return null;
    const [kBase, vBase] = this.pool.bases(this.layer);
    const mask = g.rows.length > 1 && decodesNeedMask(kBase) ? decodeMaskOf(g, opts.slidingWindow) : null;
    const [out, kv, vv] = mx.pagedAttentionBlock(block, x, norm, this.ropeOffset, kBase, vBase, {
      slotMapping, blockTables: g.blockTables, seqLens: g.seqLens, rowLen: g.rows[0]!.seqLen, scale: opts.scale,
      slidingWindow: opts.slidingWindow, kernels: kernelsAllowed(), mask, oneSequence: g.oneSequence,
    });
    this.pool.written(this.layer, kv, vv);
    return out;
  }
}

/** `VLLM_MLX_PAGED_BLOCK=off` (read at load): no fused block, to measure one path against the other. */
const BLOCK_OFF = process.env.VLLM_MLX_PAGED_BLOCK === "off";

/** `[B, H, L, D]` -> `[B * L, H, D]` (row-major over batch then position, as the slot mapping). */
function tokenRows(x: mx.Array): mx.Array {
  const [B, H, L, D] = x.shape as [number, number, number, number];
  if (L === 1) return mx.reshape(x, [B, H, D]); // a flattened step's rows: already in token order
  using t = mx.transpose(x, [0, 2, 1, 3]);
  return mx.reshape(t, [B * L, H, D]);
}
