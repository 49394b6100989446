/* Fused helpers (vmlx extension): one call builds what a decoder layer's TypeScript built op by op, with the same
 * MLX ops in the same order and dtypes (so results are bit-identical), to cut a step's FFI calls. No new kernels:
 * they run on every backend. Projections and attention blocks are native objects made once at load time; each
 * holds references to the weight arrays it was made from (MLX arrays share their buffers). */
#ifndef VMLX_FUSED_H
#define VMLX_FUSED_H
#ifdef __cplusplus
extern "C" {
#endif

typedef struct vmlx_projection_ { void* ctx; } vmlx_projection;
typedef struct vmlx_attention_ { void* ctx; } vmlx_attention;

/* A linear projection `x W^T (+ bias)`, W stored [out, in]. Dense when `scales` is null; else affine-quantized
 * (W uint32 [out, in * bits / 32], scales and biases [out, in / group_size]) through vmlx_quantized_matmul's "auto"
 * path. `bias` may be null. A null handle on failure. */
VMLX_API vmlx_projection vmlx_projection_new(const mlx_array w, const mlx_array scales /* may be null */,
                                             const mlx_array biases /* may be null */,
                                             const mlx_array bias /* may be null */, int group_size, int bits);
VMLX_API int vmlx_projection_free(vmlx_projection p);

/* The projection of x [..., in], run over x as one [M, in] matrix with the leading shape restored. */
VMLX_API int vmlx_linear(mlx_array* res, const vmlx_projection p, const mlx_array x, const mlx_stream s);

/* Gated MLP activations. */
#define VMLX_ACT_SILU 0        /* SwiGLU: silu(gate) * up, compiled (vmlx_swiglu) */
#define VMLX_ACT_GELU_APPROX 1 /* GeGLU: gelu_approx(gate) * up (vmlx_gelu_approx, then multiply) */

/* down(act(gate(x), up(x))); with `up` null, `gate` is a fused gate_up projection split in half. */
VMLX_API int vmlx_gated_mlp(mlx_array* res, const vmlx_projection gate, const vmlx_projection up,
                            const vmlx_projection down, int activation, const mlx_array x, const mlx_stream s);

/* The MLP half of a decoder block over the attention output r:
 *   h = x + (r_norm ? rms_norm(r, r_norm) : r);  m = mlp(rms_norm(h, pre_norm));
 *   result = h + (post_norm ? rms_norm(m, post_norm) : m)
 * (pre-norm blocks pass only pre_norm; Gemma's sandwich blocks pass all three). */
VMLX_API int vmlx_residual_mlp(mlx_array* res, const vmlx_projection gate, const vmlx_projection up,
                               const vmlx_projection down, int activation, const mlx_array x, const mlx_array r,
                               const mlx_array r_norm /* may be null */, float r_norm_eps, const mlx_array pre_norm,
                               float pre_norm_eps, const mlx_array post_norm /* may be null */, float post_norm_eps,
                               const mlx_stream s);

/* An attention block's projections, per-head q/k norms and RoPE (mlx.fast.rope's arguments; `input_scale` != 1
 * multiplies the rotated features first, as yarn and longrope do). With `k` and `v` null, `q` is a fused qkv
 * projection split at [heads * head_dim, (heads + kv_heads) * head_dim]. */
VMLX_API vmlx_attention vmlx_attention_new(const vmlx_projection q, const vmlx_projection k, const vmlx_projection v,
                                           const vmlx_projection o, const mlx_array q_norm /* may be null */,
                                           const mlx_array k_norm /* may be null */, float qk_norm_eps,
                                           int num_heads, int num_kv_heads, int head_dim, int rope_dims,
                                           bool rope_traditional, mlx_optional_float rope_base, float rope_scale,
                                           const mlx_array rope_freqs /* may be null */, double rope_input_scale);
VMLX_API int vmlx_attention_free(vmlx_attention a);

/* x [B, L, hidden] (normed first by `norm` when given) -> q [B, H, L, D], k and v [B, Hkv, L, D], with RoPE applied
 * to q and k at `offset`, or at the per-row int32 offsets [B] when `offsets` is given. */
VMLX_API int vmlx_attention_qkv(mlx_array* q, mlx_array* k, mlx_array* v, const vmlx_attention a,
                                const mlx_array x, const mlx_array norm /* may be null */, float norm_eps,
                                int offset, const mlx_array offsets /* may be null */, const mlx_stream s);

/* The attention output [B, H, L, D] -> o_proj of [B, L, H * D]. */
VMLX_API int vmlx_attention_out(mlx_array* res, const vmlx_attention a, const mlx_array out, const mlx_stream s);

/* One attention block of a flattened decode step (T rows of one token each) over paged KV pools, in one call with
 * the ops of the calls it replaces: q, k, v of x [T, 1, hidden] as vmlx_attention_qkv; k and v written into the
 * pools at slot_mapping as vmlx_reshape_and_cache; each row's query against its blocks (block_tables [T, M],
 * seq_lens [T]); then vmlx_attention_out. The attention is vmlx_paged_attention's "auto" path where `kernels` is
 * true and this build has a GPU kernel or the CPU kernel serves; else MLX ops over the gathered blocks: one row
 * (T == 1) cut to `row_len` keys and attended as a contiguous cache does, several rows under a mask of their
 * valid keys (`mask`, bool [T, 1, 1, M * block_size], built here when null). No soft-capping. `flags`:
 * VMLX_PAGED_ONE_SEQUENCE (vmlx/paged.h) where the T rows share one block table, else 0.
 * res [T, 1, hidden]; k_res, v_res: the written pools' views, as vmlx_reshape_and_cache returns them. */
VMLX_API int vmlx_paged_attention_block(mlx_array* res, mlx_array* k_res, mlx_array* v_res, const vmlx_attention a,
                                        const mlx_array x, const mlx_array norm /* may be null */, float norm_eps,
                                        int offset, const mlx_array offsets /* may be null */,
                                        const mlx_array k_pool, const mlx_array v_pool, const mlx_array slot_mapping,
                                        const mlx_array block_tables, const mlx_array seq_lens, int row_len,
                                        float scale, mlx_optional_int sliding_window, bool kernels,
                                        const mlx_array mask /* may be null */, int flags, const mlx_stream s);

#ifdef __cplusplus
}
#endif
#endif
