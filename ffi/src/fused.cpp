// Fused helpers, part 1: projections, the gated MLP and the MLP half of a decoder block (vmlx/fused.h). Each
// builds the graph src/nn built op by op: the same MLX ops, in the same order, with the same dtypes.
#include "fused_ops.h"

#include "ops_nn_util.h"

using namespace vmlx;

namespace vmlx {

mx::array Projection::apply_rows(const mx::array& rows, const mx::Stream& s) const {
  if (!scales) return bias ? mx::addmm(*bias, rows, wt, 1.0f, 1.0f, s) : mx::matmul(rows, wt, s);
  auto y = quantized_matmul_auto(rows, w, *scales, biases, group_size, bits, s);
  return bias ? mx::add(y, *bias, s) : y;
}

// Rows are flattened to one [M, K] matrix (else MLX multiplies each leading index's rows apart, on CUDA re-reading
// the weight), except where every leading axis but the rows' is 1 (a single sequence's [1, L, K]): MLX's products
// already see one matrix there, and each reshape is one more primitive to evaluate.
bool needs_flat_rows(const mx::array& x) {
  return x.ndim() > 2 && static_cast<int64_t>(x.size()) != static_cast<int64_t>(x.shape(-2)) * x.shape(-1);
}

mx::array flat_rows(const mx::array& x, const mx::Stream& s) {
  return needs_flat_rows(x) ? mx::reshape(x, {-1, x.shape(-1)}, s) : x;
}

mx::array unflat_rows(const mx::array& y, const mx::array& like, const mx::Stream& s) {
  if (!needs_flat_rows(like)) return y;
  auto shape = like.shape();
  shape.back() = y.shape(-1);
  return mx::reshape(y, std::move(shape), s);
}

mx::array Projection::apply(const mx::array& x, const mx::Stream& s) const {
  return unflat_rows(apply_rows(flat_rows(x, s), s), x, s);
}

mx::array gated_mlp(const Projection& gate, const Projection* up, const Projection& down, int activation,
                    const mx::array& x, const mx::Stream& s) {
  VMLX_REQUIRE("gated_mlp", activation == VMLX_ACT_SILU || activation == VMLX_ACT_GELU_APPROX,
               "unknown activation " + std::to_string(activation));
  auto rows = flat_rows(x, s);  // once for the three projections
  std::optional<mx::array> g, u;
  if (up) {
    g = gate.apply_rows(rows, s);
    u = up->apply_rows(rows, s);
  } else {
    auto parts = mx::split(gate.apply_rows(rows, s), 2, -1, s);
    g = parts[0];
    u = parts[1];
  }
  auto h = activation == VMLX_ACT_SILU ? swiglu(*g, *u, s) : mx::multiply(gelu_approx(*g, s), *u, s);
  return unflat_rows(down.apply_rows(h, s), x, s);
}

}  // namespace vmlx

namespace {
const Projection& proj(vmlx_projection p) {
  VMLX_REQUIRE("projection", p.ctx != nullptr, "a null projection handle");
  return *static_cast<Projection*>(p.ctx);
}
const Projection* opt_proj(vmlx_projection p) { return static_cast<Projection*>(p.ctx); }
}  // namespace

extern "C" {

vmlx_projection vmlx_projection_new(const mlx_array w, const mlx_array scales, const mlx_array biases,
                                    const mlx_array bias, int group_size, int bits) {
  auto make = [&]() {
    const auto& weight = arr(w);
    VMLX_REQUIRE("projection", weight.ndim() == 2, "the weight must be 2-D, got " + shape_str(weight));
    auto wt = scales.ctx ? weight : mx::transpose(weight);
    return new Projection{weight, wt, opt_arr(scales), opt_arr(biases), opt_arr(bias), group_size, bits};
  };
  VMLX_TRY_HANDLE(vmlx_projection, return vmlx_projection{make()})
}

int vmlx_projection_free(vmlx_projection p) {
  VMLX_TRY(delete static_cast<Projection*>(p.ctx))
}

int vmlx_linear(mlx_array* res, const vmlx_projection p, const mlx_array x, const mlx_stream s) {
  VMLX_TRY(assign(res, proj(p).apply(arr(x), stream(s))))
}

int vmlx_gated_mlp(mlx_array* res, const vmlx_projection gate, const vmlx_projection up, const vmlx_projection down,
                   int activation, const mlx_array x, const mlx_stream s) {
  VMLX_TRY(assign(res, gated_mlp(proj(gate), opt_proj(up), proj(down), activation, arr(x), stream(s))))
}

int vmlx_residual_mlp(mlx_array* res, const vmlx_projection gate, const vmlx_projection up,
                      const vmlx_projection down, int activation, const mlx_array x, const mlx_array r,
                      const mlx_array r_norm, float r_norm_eps, const mlx_array pre_norm, float pre_norm_eps,
                      const mlx_array post_norm, float post_norm_eps, const mlx_stream s) {
  VMLX_TRY({
    const auto& st = stream(s);
    auto h = r_norm.ctx ? mx::add(arr(x), rms_norm(arr(r), arr(r_norm), r_norm_eps, st), st)
                        : mx::add(arr(x), arr(r), st);
    auto n = rms_norm(h, arr(pre_norm), pre_norm_eps, st);
    auto m = gated_mlp(proj(gate), opt_proj(up), proj(down), activation, n, st);
    if (post_norm.ctx) m = rms_norm(m, arr(post_norm), post_norm_eps, st);
    assign(res, mx::add(h, m, st));
  })
}

}  // extern "C"
