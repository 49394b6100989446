/**
 * Peak memory of 10 pool writes, each queued while an earlier read of the pool is still pending ("pipelined")
 * or after it finished ("synchronous"). Session 1 wrote the pool with MLX's scatter, which copies the whole
 * pool when a pending task still holds it, so the pipelined peak grew by a pool; the pool now writes in place
 * (mx.reshapeAndCache) and both peaks stay near the written rows. This is why EngineCore can queue step n+1
 * before reading step n (async scheduling).
 *
 *   bun bench/pool-pipelining.ts
 */
import * as mx from "../src/mlx/index.ts";
import { PagedKvPool } from "../src/engine/paged/kv-pool.ts";
const nb = 4096;
const pool = new PagedKvPool({ numLayers: 1, numBlocks: nb, blockSize: 16, numKvHeads: 8, headDim: 64, dtype: "float32" });
const poolBytes = pool.nbytes / 2;
const slots = mx.array([3], { dtype: "int32" });
const big = mx.normal([2048, 2048]);
for (const pipelined of [false, true, false, true]) {
  mx.clearCache(); const before = mx.getActiveMemory(); mx.resetPeakMemory();
  for (let i = 0; i < 10; i++) {
    // A slow read of the pool (stands for a step's attention), then the next write.
    using k = mx.ones([1, 8, 64]);
    using first = mx.array([0], { dtype: "int32" });
    using g = mx.take(pool.keys(0), first, 0);
    using slow = mx.matmul(big, big);
    using s = mx.sum(slow); using gs = mx.sum(g); using out = mx.add(s, gs);
    mx.asyncEval(out, ...pool.arrays());
    if (!pipelined) out.item();
    pool.write(0, k, k, slots);
    mx.asyncEval(...pool.arrays());
    if (pipelined) out.item();
  }
  mx.evaluate(...pool.arrays());
  console.log(pipelined ? "pipelined" : "synchronous", "peak - before (MB):", ((mx.getPeakMemory() - before) / 2 ** 20).toFixed(1), "pool MB", (poolBytes / 2 ** 20).toFixed(0));
}
