// Fused helpers, part 2: an attention block's input side (projections, heads, q/k norms, RoPE) and its output
// projection (vmlx/fused.h). The cache write and the attention itself stay with the caller: a paged pool's write
// must not be traced or compiled here. Same ops, order and dtypes as src/nn/attention.ts and src/nn/rope.ts.
#include "fused_ops.h"
#include "ops_nn_util.h"

using namespace vmlx;

namespace {

struct AttentionBlock {
  Projection q;  // or the fused qkv projection when k is empty
  std::optional<Projection> k, v;
  Projection o;
  std::optional<mx::array> q_norm, k_norm;
  float qk_eps;
  int heads, kv_heads, head_dim;
  int rope_dims;
  bool traditional;
  std::optional<float> base;
  float rope_scale;
  std::optional<mx::array> freqs;
  double input_scale;

  // [B, L, H*D] -> [B, H, L, D], normalizing each head first when asked.
  mx::array split_heads(const mx::array& x, int B, int L, int H, const std::optional<mx::array>& norm,
                        const mx::Stream& s) const {
    if (L == 1) {  // [B, 1, H*D] is [B, H, 1, D] in memory: one reshape, no transpose
      auto r = mx::reshape(x, {B, H, 1, head_dim}, s);
      return norm ? rms_norm(r, *norm, qk_eps, s) : r;
    }
    auto r = mx::reshape(x, {B, L, H, head_dim}, s);
    if (norm) r = rms_norm(r, *norm, qk_eps, s);
    return mx::transpose(r, {0, 2, 1, 3}, s);
  }

  // yarn's and longrope's scaling of the rotated features.
  mx::array scale_rotated(const mx::array& x, const mx::Stream& s) const {
    if (x.shape(-1) == rope_dims) return mx::multiply(x, weak_scalar(input_scale, &x), s);
    auto parts = mx::split(x, mx::Shape{rope_dims}, -1, s);
    auto head = mx::multiply(parts[0], weak_scalar(input_scale, &parts[0]), s);
    return mx::concatenate({head, parts[1]}, -1, s);
  }

  mx::array rope(const mx::array& x, int offset, const std::optional<mx::array>& offsets, const mx::Stream& s) const {
    auto in = input_scale == 1.0 ? x : scale_rotated(x, s);
    if (offsets) return vmlx::rope(in, rope_dims, traditional, base, rope_scale, *offsets, freqs, s);
    return vmlx::rope(in, rope_dims, traditional, base, rope_scale, offset, freqs, s);
  }

  std::vector<mx::array> qkv(const mx::array& x, const std::optional<mx::array>& norm, float norm_eps, int offset,
                             const std::optional<mx::array>& offsets, const mx::Stream& s) const {
    VMLX_REQUIRE("attention_qkv", x.ndim() == 3, "x must be [B, L, hidden], got " + shape_str(x));
    const int B = x.shape(0), L = x.shape(1);
    auto n = flat_rows(norm ? rms_norm(x, *norm, norm_eps, s) : x, s);  // flattened once for q, k, v
    std::vector<mx::array> p;
    if (k) {
      p = {q.apply_rows(n, s), k->apply_rows(n, s), v->apply_rows(n, s)};
    } else {
      p = mx::split(q.apply_rows(n, s), mx::Shape{heads * head_dim, (heads + kv_heads) * head_dim}, -1, s);
    }
    auto qh = split_heads(p[0], B, L, heads, q_norm, s);
    auto kh = split_heads(p[1], B, L, kv_heads, k_norm, s);
    auto vh = split_heads(p[2], B, L, kv_heads, std::nullopt, s);
    auto qr = rope(qh, offset, offsets, s);
    auto kr = rope(kh, offset, offsets, s);
    return {qr, kr, vh};
  }

  // [B, H, L, D] -> o_proj([B, L, H*D])
  mx::array out(const mx::array& attn, const mx::Stream& s) const {
    VMLX_REQUIRE("attention_out", attn.ndim() == 4, "the attention output must be [B, H, L, D], got " + shape_str(attn));
    const int B = attn.shape(0), L = attn.shape(2);
    // One query position: [B, H, 1, D] has [B, 1, H*D]'s layout, so a reshape alone (no transpose).
    auto t = L == 1 ? attn : mx::transpose(attn, {0, 2, 1, 3}, s);
    if (B == 1) return o.apply_rows(mx::reshape(t, {B, L, heads * head_dim}, s), s);
    auto y = o.apply_rows(mx::reshape(t, {B * L, heads * head_dim}, s), s);  // rows flattened in the same reshape
    return mx::reshape(y, {B, L, y.shape(-1)}, s);
  }
};

const AttentionBlock& block(vmlx_attention a) {
  VMLX_REQUIRE("attention", a.ctx != nullptr, "a null attention handle");
  return *static_cast<AttentionBlock*>(a.ctx);
}

const Projection& proj(vmlx_projection p, const char* what) {
  VMLX_REQUIRE("attention_new", p.ctx != nullptr, std::string("a null ") + what + " projection");
  return *static_cast<Projection*>(p.ctx);
}

}  // namespace

namespace vmlx {
std::vector<mx::array> attention_qkv(vmlx_attention a, const mx::array& x, const std::optional<mx::array>& norm,
                                     float norm_eps, int offset, const std::optional<mx::array>& offsets,
                                     const mx::Stream& s) {
  return block(a).qkv(x, norm, norm_eps, offset, offsets, s);
}

mx::array attention_out(vmlx_attention a, const mx::array& attn, const mx::Stream& s) { return block(a).out(attn, s); }
}  // namespace vmlx

extern "C" {

vmlx_attention vmlx_attention_new(const vmlx_projection q, const vmlx_projection k, const vmlx_projection v,
                                  const vmlx_projection o, const mlx_array q_norm, const mlx_array k_norm,
                                  float qk_norm_eps, int num_heads, int num_kv_heads, int head_dim, int rope_dims,
                                  bool rope_traditional, mlx_optional_float rope_base, float rope_scale,
                                  const mlx_array rope_freqs, double rope_input_scale) {
  auto make = [&]() {
    VMLX_REQUIRE("attention_new", (k.ctx == nullptr) == (v.ctx == nullptr), "give both k and v, or neither (fused qkv)");
    VMLX_REQUIRE("attention_new", num_heads > 0 && num_kv_heads > 0 && head_dim > 0 && rope_dims > 0,
                 "heads, head_dim and rope_dims must be positive");
    std::optional<Projection> kp, vp;
    if (k.ctx) kp = proj(k, "k");
    if (v.ctx) vp = proj(v, "v");
    return new AttentionBlock{proj(q, "q"), kp, vp, proj(o, "o"), opt_arr(q_norm), opt_arr(k_norm), qk_norm_eps,
                              num_heads, num_kv_heads, head_dim, rope_dims, rope_traditional, opt_float(rope_base),
                              rope_scale, opt_arr(rope_freqs), rope_input_scale};
  };
  VMLX_TRY_HANDLE(vmlx_attention, return vmlx_attention{make()})
}

int vmlx_attention_free(vmlx_attention a) {
  VMLX_TRY(delete static_cast<AttentionBlock*>(a.ctx))
}

int vmlx_attention_qkv(mlx_array* q, mlx_array* k, mlx_array* v, const vmlx_attention a, const mlx_array x,
                       const mlx_array norm, float norm_eps, int offset, const mlx_array offsets, const mlx_stream s) {
  VMLX_TRY({
    auto out = attention_qkv(a, arr(x), opt_arr(norm), norm_eps, offset, opt_arr(offsets), stream(s));
    assign(q, std::move(out[0]));
    assign(k, std::move(out[1]));
    assign(v, std::move(out[2]));
  })
}

int vmlx_attention_out(mlx_array* res, const vmlx_attention a, const mlx_array out, const mlx_stream s) {
  VMLX_TRY(assign(res, attention_out(a, arr(out), stream(s))))
}

}  // extern "C"
