// vmlx_scaled_dot_product_attention: MLX's fused SDPA, or on a CPU stream a kernel of ours (float32, float16 or
// bfloat16, summing in float32) for the
// unmasked and causal cases. MLX's CPU fallback runs attention as matmuls through the BLAS that its wheel links
// (the reference netlib BLAS on Linux), which dominated prefill of small models once the quantized matmuls were
// fast. The kernel itself (attention_cpu_tile.cpp) is shared with paged attention's CPU path.
#include <mlx/backend/cpu/encoder.h>
#include <mlx/primitives.h>

#include <cstring>

#include "attention_cpu_tile.h"
#include "fused_ops.h"
#include "ops_nn_util.h"
#include "plain_input.h"

using namespace vmlx;

namespace {

#define REQUIRE(ok, msg) VMLX_REQUIRE("scaled_dot_product_attention", ok, msg)

class CpuAttention : public mx::UnaryPrimitive {
 public:
  CpuAttention(mx::Stream s, float scale, bool causal) : mx::UnaryPrimitive(s), scale_(scale), causal_(causal) {}

  // k and v come as they are (a cache's prefix is a view of its buffer): the kernel reads keys at their strides
  // where each key's values are contiguous, and only other layouts are copied first.
  void eval_cpu(const std::vector<mx::array>& in, mx::array& out) override {
    const auto& q = in[0];
    auto& encoder = cpu_output(in, out, stream());
    const mx::array k = keys_readable(in[1], encoder), v = keys_readable(in[2], encoder);
    attention_cpu::Problem p{};
    p.dtype = *cpu_dtype(q.dtype());
    p.q = q.data<void>(), p.out = out.data<void>(), p.k = k.data<void>(), p.v = v.data<void>();
    for (int i = 0; i < 3; ++i) p.k_strides[i] = k.strides()[i], p.v_strides[i] = v.strides()[i];
    p.B = q.shape(0), p.Hq = q.shape(1), p.Hkv = k.shape(1), p.L = q.shape(2), p.S = k.shape(2), p.D = q.shape(3);
    p.scale = scale_, p.causal = causal_;
    encoder.dispatch([p]() { attention_cpu::run(p); });
  }

  void eval_gpu(const std::vector<mx::array>&, mx::array&) override {
    throw std::runtime_error("[scaled_dot_product_attention] the CPU kernel's primitive ran on a GPU stream");
  }

  const char* name() const override { return "VmlxCpuAttention"; }

  bool is_equivalent(const mx::Primitive& other) const override {
    if (std::strcmp(other.name(), name()) != 0) return false;
    const auto& o = static_cast<const CpuAttention&>(other);
    return o.scale_ == scale_ && o.causal_ == causal_;
  }

 private:
  // `a` where each key's D values are contiguous, else a row-contiguous copy made on the stream first (kept alive
  // until the attention task has run). A projection's heads or a cache's prefix never need one.
  mx::array keys_readable(const mx::array& a, mx::cpu::CommandEncoder& encoder) {
    if (a.strides()[3] == 1 || a.shape(3) == 1) return a;
    mx::array copy(a.shape(), a.dtype(), nullptr, {});
    copy.set_data(mx::allocator::malloc(copy.nbytes()));
    encoder.add_temporary(copy);
    const char* src = a.data<char>();
    char* dst = copy.data<char>();
    const size_t esize = a.itemsize();
    const auto shape = a.shape();
    const auto strides = a.strides();
    encoder.dispatch([src, dst, esize, shape, strides]() {
      char* out = dst;
      for (int b = 0; b < shape[0]; ++b)
        for (int h = 0; h < shape[1]; ++h)
          for (int j = 0; j < shape[2]; ++j)
            for (int d = 0; d < shape[3]; ++d, out += esize) {
              const int64_t at = b * strides[0] + h * strides[1] + j * strides[2] + d * strides[3];
              std::memcpy(out, src + at * esize, esize);
            }
    });
    return copy;
  }

  float scale_;
  bool causal_;
};

bool kernel_serves(const mx::array& q, const mx::array& k, const mx::array& v, const std::string& mask_mode,
                   const std::optional<mx::array>& mask, const std::optional<mx::array>& sinks, const mx::Stream& s) {
  if (s.device != mx::Device::cpu || mask || sinks || (mask_mode != "" && mask_mode != "causal")) return false;
  if (q.ndim() != 4 || k.ndim() != 4 || v.shape() != k.shape()) return false;
  if (!cpu_dtype(q.dtype()) || k.dtype() != q.dtype() || v.dtype() != q.dtype()) return false;
  if (q.shape(0) != k.shape(0) || q.shape(3) != k.shape(3) || k.shape(1) == 0 || q.shape(1) % k.shape(1) != 0) {
    return false;
  }
  // Causal attention places the queries at the last L key positions.
  return k.shape(2) > 0 && (mask_mode != "causal" || q.shape(2) <= k.shape(2));
}

}  // namespace

namespace vmlx {
mx::array scaled_dot_product_attention(const mx::array& q, const mx::array& k, const mx::array& v, float scale,
                                       const std::string& mask_mode, const std::optional<mx::array>& mask,
                                       const std::optional<mx::array>& sinks, const std::string& path,
                                       const mx::Stream& s) {
  REQUIRE(path == "auto" || path == "mlx" || path == "kernel",
          "path must be \"auto\", \"mlx\" or \"kernel\", got \"" + path + "\"");
  bool serves = path != "mlx" && kernel_serves(q, k, v, mask_mode, mask, sinks, s);
  REQUIRE(serves || path != "kernel", "the CPU kernel serves float32, float16 or bfloat16 [B, H, L, D] attention "
                                      "(one dtype) without a mask array "
                                      "or sinks (no mask or causal) on a CPU stream");
  if (!serves) {
    return mx::fast::scaled_dot_product_attention(q, k, v, scale, mask_mode, mask, sinks, false, s);
  }
  bool causal = mask_mode == "causal" && q.shape(2) > 1;
  return mx::array(q.shape(), q.dtype(), std::make_shared<CpuAttention>(s, scale, causal),
                   {mx::contiguous(q, false, s), k, v});
}
}  // namespace vmlx

extern "C" {

int vmlx_scaled_dot_product_attention(mlx_array* res, const mlx_array queries, const mlx_array keys,
                                      const mlx_array values, float scale, const char* mask_mode,
                                      const mlx_array mask_arr, const mlx_array sinks, const char* path,
                                      const mlx_stream s) {
  VMLX_TRY(assign(res, scaled_dot_product_attention(arr(queries), arr(keys), arr(values), scale,
                                                    str_or(mask_mode, ""), opt_arr(mask_arr), opt_arr(sinks),
                                                    str_or(path, "auto"), stream(s))))
}

}  // extern "C"
