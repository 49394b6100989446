// The C++ ops behind some C entry points, shared with fused.cpp so that a fused helper builds exactly the graph
// its unfused calls build.
#pragma once
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common.h"

namespace vmlx {
// vmlx_quantized_matmul's "auto" path for affine x @ W^T (qmm.cpp).
mx::array quantized_matmul_auto(const mx::array& x, const mx::array& w, const mx::array& scales,
                                const std::optional<mx::array>& biases, int group_size, int bits, const mx::Stream& s);
// vmlx_swiglu and vmlx_gelu_approx (compiled.cpp).
mx::array swiglu(const mx::array& gate, const mx::array& up, const mx::Stream& s);
// SwiGLU as one vectorized CPU primitive (swiglu_cpu.cpp): float32 gate and up of one shape on a CPU stream; nullopt
// elsewhere.
std::optional<mx::array> cpu_swiglu(const mx::array& gate, const mx::array& up, const mx::Stream& s);
mx::array gelu_approx(const mx::array& x, const mx::Stream& s);
// mx::fast::rms_norm and mx::fast::rope, each one primitive of ours for float32, float16 and bfloat16 on a CPU stream
// (norm_rope_cpu.cpp: MLX builds them from basic ops there), MLX's elsewhere. rope's offset is a position or int32
// offsets ([1] or [B]).
mx::array rms_norm(const mx::array& x, const std::optional<mx::array>& weight, float eps, const mx::Stream& s);
mx::array rope(const mx::array& x, int dims, bool traditional, std::optional<float> base, float scale,
               const std::variant<int, mx::array>& offset, const std::optional<mx::array>& freqs, const mx::Stream& s);
// A 0-d array of `val` typed as MLX Python types a scalar beside `like` (ops_core_creation.cpp).
mx::array weak_scalar(double val, const mx::array* like);
// vmlx_scaled_dot_product_attention (attention_cpu.cpp).
mx::array scaled_dot_product_attention(const mx::array& q, const mx::array& k, const mx::array& v, float scale,
                                       const std::string& mask_mode, const std::optional<mx::array>& mask,
                                       const std::optional<mx::array>& sinks, const std::string& path,
                                       const mx::Stream& s);
// vmlx_attention_qkv's [q, k, v] and vmlx_attention_out (fused_attention.cpp).
std::vector<mx::array> attention_qkv(vmlx_attention a, const mx::array& x, const std::optional<mx::array>& norm,
                                     float norm_eps, int offset, const std::optional<mx::array>& offsets,
                                     const mx::Stream& s);
mx::array attention_out(vmlx_attention a, const mx::array& attn, const mx::Stream& s);
}  // namespace vmlx

namespace vmlx {
// A linear projection as vmlx_projection_new made it: dense (`wt` = W^T, a view made once) when `scales` is empty,
// else affine-quantized `w`.
struct Projection {
  mx::array w;
  mx::array wt;
  std::optional<mx::array> scales;
  std::optional<mx::array> biases;
  std::optional<mx::array> bias;
  int group_size;
  int bits;

  // x [M, in] -> [M, out].
  mx::array apply_rows(const mx::array& rows, const mx::Stream& s) const;
  // x [..., in] -> [..., out], over the rows of x flattened to [M, in].
  mx::array apply(const mx::array& x, const mx::Stream& s) const;
};

// Whether `x` [..., K] needs flattening to [M, K] before a product: its leading axes hold more than one matrix
// of rows (a single sequence's [1, L, K] does not).
bool needs_flat_rows(const mx::array& x);

// `x` as [M, K] where needs_flat_rows, else `x` itself: several projections of one input flatten it once.
mx::array flat_rows(const mx::array& x, const mx::Stream& s);

// `y` [M, N] back to `like`'s leading axes ([..., N]) where `like` needed flattening, else `y` itself.
mx::array unflat_rows(const mx::array& y, const mx::array& like, const mx::Stream& s);

// down(act(gate(x), up(x))); `up` null: `gate` is a fused gate_up projection, split in half.
mx::array gated_mlp(const Projection& gate, const Projection* up, const Projection& down, int activation,
                    const mx::array& x, const mx::Stream& s);
}  // namespace vmlx
