/* Paged attention over block tables (vmlx extension). Three paths compute the same thing:
 *   "reference": MLX ops (gather the blocks through the block table, mask per row, fused SDPA), any backend;
 *   "kernel":    a decode kernel (online softmax over the blocks, GQA) JIT-compiled by MLX, Metal and CUDA builds;
 *   "auto":      the kernel where this build has one, the stream is on the GPU and the shape is supported
 *                (query length 1, head dim 64/80/96/128/256, float16/bfloat16/float32), else the reference. */
#ifndef VMLX_PAGED_H
#define VMLX_PAGED_H
#ifdef __cplusplus
extern "C" {
#endif

/* queries:      [B, Hq, L, D]; L == 1 for decode, L > 1 (reference path only) for a causal prefill whose
 *               queries sit at positions seq_lens[b] - L .. seq_lens[b] - 1;
 * k_pool/v_pool: [num_blocks, block_size, Hkv, D], Hq a multiple of Hkv;
 * block_tables: integer [B, max_blocks], entries past a row's last block must still be valid block ids;
 * seq_lens:     integer [B], each >= L: keys 0 .. seq_lens[b] - 1 of row b are valid;
 * sliding_window: when set, a query at position p sees only keys p - window + 1 .. p;
 * softcap:      when set, scores become softcap * tanh(scores / softcap) before the softmax;
 * path:         "auto", "reference" or "kernel" ("kernel" fails on a build or stream without one);
 * flags:        VMLX_PAGED_ONE_SEQUENCE or 0.
 * res:          [B, Hq, L, D] in the queries' dtype. */
VMLX_API int vmlx_paged_attention(mlx_array* res, const mlx_array queries, const mlx_array k_pool,
                                  const mlx_array v_pool, const mlx_array block_tables, const mlx_array seq_lens,
                                  float scale, mlx_optional_int sliding_window, mlx_optional_float softcap,
                                  const char* path, int flags, const mlx_stream s);

/* A flag of vmlx_paged_attention and vmlx_paged_attention_block: the B rows (L == 1) all have the same block table
 * (one sequence's queries: a prefill chunk split into single-query rows, with any pad rows repeating its last), each
 * at its own seq_lens[b]. The CUDA build then reads each key once for a round of them (from row 0's table) instead of
 * once per row and query head; every path gives the same result with or without it. */
#define VMLX_PAGED_ONE_SEQUENCE 1

/* Writes keys and values into the paged KV pools in place (vLLM's reshape_and_cache): row t of k and v goes to
 * slot slot_mapping[t] (block * block_size + offset) of k_pool and v_pool. The pools are not copied: the write
 * goes through their buffers, whatever else holds them, and k_res / v_res are views of those buffers that
 * depend on it (read the pools through them). Other arrays that share the buffers see the new rows once k_res
 * or v_res is evaluated. Slots outside the pool are skipped. On a GPU stream the pools must already be evaluated
 * row-contiguous buffers (an error otherwise); on the CPU a pool that is not one is copied first.
 * k_pool, v_pool: [num_blocks, block_size, Hkv, D], one floating dtype;
 * k, v:           [T, Hkv, D] (cast to the pools' dtype);
 * slot_mapping:   integer [T]. */
VMLX_API int vmlx_reshape_and_cache(mlx_array* k_res, mlx_array* v_res, const mlx_array k_pool,
                                    const mlx_array v_pool, const mlx_array k, const mlx_array v,
                                    const mlx_array slot_mapping, const mlx_stream s);

/* res = x (an integer array, e.g. block tables), made to run after the GPU write that produced `pool` (a view
 * returned by vmlx_reshape_and_cache and not yet evaluated); x itself otherwise. MLX's GPU backends order kernels
 * by the arrays they declare, and the write goes through the pool's buffer behind that bookkeeping: a gather
 * from the pool in the same evaluation must take its indices through this. vmlx_paged_attention does it itself. */
VMLX_API int vmlx_order_after_write(mlx_array* res, const mlx_array x, const mlx_array pool, const mlx_stream s);

/* 1 when this build carries a paged-attention kernel (Metal or CUDA), else 0. */
VMLX_API int vmlx_paged_attention_has_kernel(void);

#ifdef __cplusplus
}
#endif
#endif
