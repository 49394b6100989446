// The C++ ops behind some C entry points, shared with fused.cpp so that a fused helper builds exactly the graph
// its unfused calls build.
#pragma once
#include <optional>

#include "common.h"

namespace vmlx {
// vmlx_quantized_matmul's "auto" path for affine x @ W^T (qmm.cpp).
mx::array quantized_matmul_auto(const mx::array& x, const mx::array& w, const mx::array& scales,
                                const std::optional<mx::array>& biases, int group_size, int bits, const mx::Stream& s);
// vmlx_swiglu and vmlx_gelu_approx (compiled.cpp).
mx::array swiglu(const mx::array& gate, const mx::array& up, const mx::Stream& s);
mx::array gelu_approx(const mx::array& x, const mx::Stream& s);
// A 0-d array of `val` typed as MLX Python types a scalar beside `like` (ops_core_creation.cpp).
mx::array weak_scalar(double val, const mx::array* like);
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

// down(act(gate(x), up(x))); `up` null: `gate` is a fused gate_up projection, split in half.
mx::array gated_mlp(const Projection& gate, const Projection* up, const Projection& down, int activation,
                    const mx::array& x, const mx::Stream& s);
}  // namespace vmlx
