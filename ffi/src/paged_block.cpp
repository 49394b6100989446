// vmlx_paged_attention_block: one attention block of a flattened decode step over the paged KV pools in one call,
// with the ops that src/nn/attention.ts, src/engine/paged/paged-cache.ts and src/engine/paged/attention.ts build
// call by call for a step of decodes (vmlx_attention_qkv, the pool write, the attention, vmlx_attention_out), in
// the same order and dtypes, so results are bit-identical.
#include "cache_write.h"
#include "fused_ops.h"
#include "ops_nn_util.h"
#include "paged.h"

using namespace vmlx;

namespace {

#define REQUIRE(ok, msg) VMLX_REQUIRE("paged_attention_block", ok, msg)

bool gpu_kernel_build() {
#if defined(VMLX_WITH_METAL) || defined(VMLX_WITH_CUDA)
  return true;
#else
  return false;
#endif
}

// [n, M] block tables -> keys [n, Hkv, M * block_size, D], read after this step's write of `pool`.
mx::array gather_rows(const mx::array& pool, const mx::array& tables, const mx::Stream& s) {
  int n = tables.shape(0), M = tables.shape(1);
  int bs = pool.shape(1), H = pool.shape(2), D = pool.shape(3);
  auto ordered = cache_write::order_after_write(tables, pool, s);
  auto blocks = mx::take(pool, ordered, 0, s);  // [n, M, bs, H, D]
  auto flat = mx::reshape(blocks, {n, M * bs, H, D}, s);
  return mx::transpose(flat, {0, 2, 1, 3}, s);
}

mx::array cut(const mx::array& x, int len, const mx::Stream& s) {
  return mx::slice(x, {0, 0, 0, 0}, {x.shape(0), x.shape(1), len, x.shape(3)}, s);
}

// Bool [n, 1, 1, ctx]: key p is visible to row b when p < seq_lens[b] (and p >= seq_lens[b] - window).
mx::array decode_mask(const mx::array& seq_lens, int ctx, std::optional<int> window, const mx::Stream& s) {
  int n = seq_lens.shape(0);
  auto lens = mx::reshape(seq_lens, {n, 1}, s);
  auto pos = mx::arange(0, ctx, 1, mx::int32, s);
  auto valid = mx::less(pos, lens, s);
  if (window) valid = mx::logical_and(valid, mx::greater_equal(pos, mx::subtract(lens, mx::array(*window), s), s), s);
  return mx::reshape(valid, {n, 1, 1, ctx}, s);
}

// One row's single query at position `prev` over its keys cut to prev + 1, as a contiguous cache attends.
mx::array attend_one(const mx::array& q, const mx::array& k, const mx::array& v, int prev, float scale,
                     std::optional<int> window, const mx::Stream& s) {
  if (!window || prev + 1 <= *window) return scaled_dot_product_attention(q, k, v, scale, "", {}, {}, "auto", s);
  auto r = mx::arange(0, prev + 1, 1, mx::int32, s);
  auto l = mx::expand_dims(mx::arange(prev, prev + 1, 1, mx::int32, s), 1, s);
  auto mask = mx::logical_and(mx::greater_equal(l, r, s), mx::less(l, mx::add(r, mx::array(*window), s), s), s);
  return scaled_dot_product_attention(q, k, v, scale, "array", mask, {}, "auto", s);
}

struct Step {
  mx::array k_pool, v_pool, slot_mapping, block_tables, seq_lens;
  int row_len;
  float scale;
  std::optional<int> window;
  bool kernels;
  std::optional<mx::array> mask;
  bool one_sequence;
};

// q [T, Hq, 1, D] over the written pools: the paged kernels where they serve, else MLX ops.
mx::array attend(const mx::array& q, const mx::array& kp, const mx::array& vp, const Step& st, const mx::Stream& s) {
  paged::Args probe{q, kp, vp, st.block_tables, st.seq_lens, st.scale, st.window, std::nullopt};
  if (st.kernels && (gpu_kernel_build() || paged::cpu_kernel_supports(probe, s))) {
    return paged::attention(q, kp, vp, st.block_tables, st.seq_lens, st.scale, st.window, std::nullopt, "auto", s,
                            st.one_sequence);
  }
  auto k = gather_rows(kp, st.block_tables, s);
  auto v = gather_rows(vp, st.block_tables, s);
  if (q.shape(0) == 1) {
    REQUIRE(st.row_len > 0 && st.row_len <= k.shape(2), "row_len must be the row's KV length");
    return attend_one(q, cut(k, st.row_len, s), cut(v, st.row_len, s), st.row_len - 1, st.scale, st.window, s);
  }
  auto mask = st.mask ? *st.mask : decode_mask(st.seq_lens, k.shape(2), st.window, s);
  return scaled_dot_product_attention(q, k, v, st.scale, "array", mask, {}, "auto", s);
}

std::vector<mx::array> block_step(vmlx_attention a, const mx::array& x, const std::optional<mx::array>& norm,
                                  float norm_eps, int offset, const std::optional<mx::array>& offsets, const Step& st,
                                  const mx::Stream& s) {
  REQUIRE(x.ndim() == 3 && x.shape(1) == 1, "x must be [T, 1, hidden] (one token a row), got " + shape_str(x));
  REQUIRE(st.block_tables.ndim() == 2 && st.block_tables.shape(0) == x.shape(0),
          "block_tables must be [T, max_blocks], got " + shape_str(st.block_tables));
  auto qkv = attention_qkv(a, x, norm, norm_eps, offset, offsets, s);  // [T, H, 1, D], [T, Hkv, 1, D] x2
  // k and v as they are, [T, Hkv, 1, D]: the write takes that layout for [T, Hkv, D] rows.
  auto [kp, vp] = cache_write::write(st.k_pool, st.v_pool, qkv[1], qkv[2], st.slot_mapping, s);
  auto out = attend(qkv[0], kp, vp, st, s);
  return {attention_out(a, out, s), kp, vp};
}

}  // namespace

extern "C" {

int vmlx_paged_attention_block(mlx_array* res, mlx_array* k_res, mlx_array* v_res, const vmlx_attention a,
                               const mlx_array x, const mlx_array norm, float norm_eps, int offset,
                               const mlx_array offsets, const mlx_array k_pool, const mlx_array v_pool,
                               const mlx_array slot_mapping, const mlx_array block_tables, const mlx_array seq_lens,
                               int row_len, float scale, mlx_optional_int sliding_window, bool kernels,
                               const mlx_array mask, int flags, const mlx_stream s) {
  auto run = [&]() {
    Step st{arr(k_pool), arr(v_pool), arr(slot_mapping), arr(block_tables), arr(seq_lens), row_len, scale,
            opt_int(sliding_window), kernels, opt_arr(mask), (flags & VMLX_PAGED_ONE_SEQUENCE) != 0};
    REQUIRE(!st.window || *st.window > 0, "sliding_window must be positive");
    auto out = block_step(a, arr(x), opt_arr(norm), norm_eps, offset, opt_arr(offsets), st, stream(s));
    assign(res, std::move(out[0]));
    assign(k_res, std::move(out[1]));
    assign(v_res, std::move(out[2]));
  };
  VMLX_TRY(run())
}

}  // extern "C"
