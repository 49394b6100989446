// Elementwise chains fused with mx::compile (shapeless: one trace serves every shape and dtype).
#include <cmath>

#include "fused_ops.h"
#include "ops_nn_util.h"

using namespace vmlx;

namespace {
using Fn = std::function<std::vector<mx::array>(const std::vector<mx::array>&)>;

mx::array silu(const mx::array& x) { return mx::multiply(x, mx::sigmoid(x)); }

mx::array gelu_tanh(const mx::array& x) {
  const float k = std::sqrt(2.0f / static_cast<float>(M_PI));
  auto dt = x.dtype();
  auto inner = mx::multiply(mx::array(k, dt),
                            mx::add(x, mx::multiply(mx::array(0.044715f, dt), mx::multiply(x, mx::square(x)))));
  return mx::multiply(mx::multiply(mx::array(0.5f, dt), x), mx::add(mx::array(1.0f, dt), mx::tanh(inner)));
}

const Fn& swiglu_fn() {
  static const Fn f = mx::compile([](const std::vector<mx::array>& in) {
    return std::vector<mx::array>{mx::multiply(silu(in[0]), in[1])};
  }, true);
  return f;
}

const Fn& gelu_fn() {
  static const Fn f = mx::compile([](const std::vector<mx::array>& in) {
    return std::vector<mx::array>{gelu_tanh(in[0])};
  }, true);
  return f;
}

mx::array run(const Fn& f, std::vector<mx::array> in, mlx_stream s) {
  mx::StreamContext ctx(stream(s));
  return f(in)[0];
}
}  // namespace

mx::array vmlx::swiglu(const mx::array& gate, const mx::array& up, const mx::Stream& s) {
  if (auto ours = cpu_swiglu(gate, up, s)) return *ours;
  mx::StreamContext ctx(s);
  return swiglu_fn()({gate, up})[0];
}

mx::array vmlx::gelu_approx(const mx::array& x, const mx::Stream& s) {
  mx::StreamContext ctx(s);
  return gelu_fn()({x})[0];
}

extern "C" {

int vmlx_swiglu(mlx_array* res, const mlx_array gate, const mlx_array up, const mlx_stream s) {
  VMLX_TRY(assign(res, vmlx::swiglu(arr(gate), arr(up), stream(s))))
}

int vmlx_gelu_approx(mlx_array* res, const mlx_array x, const mlx_stream s) {
  VMLX_TRY(assign(res, run(gelu_fn(), {arr(x)}, s)))
}

int mlx_enable_compile(void) { VMLX_TRY(mx::enable_compile()) }
int mlx_disable_compile(void) { VMLX_TRY(mx::disable_compile()) }

}  // extern "C"
