// vmlx_quantized_matmul: MLX's quantized_matmul, or on a CPU stream our vectorized, multi-threaded kernel
// (qmm_cpu.h) for the affine x @ W^T shapes it serves. MLX's own op validates the arguments and casts x, scales
// and biases to the result dtype; the kernel's primitive then takes those same inputs in place of MLX's.
#include <mlx/backend/cpu/encoder.h>
#include <mlx/primitives.h>

#include <cstring>
#include <stdexcept>
#include <string>

#include "fused_ops.h"
#include "ops_nn_util.h"
#include "plain_input.h"
#include "qmm_cpu.h"
#include "qmv.h"

using namespace vmlx;

namespace {

#define REQUIRE(ok, msg) VMLX_REQUIRE("quantized_matmul", ok, msg)


class CpuQuantizedMatmul : public mx::UnaryPrimitive {
 public:
  CpuQuantizedMatmul(mx::Stream s, int group_size, int bits)
      : mx::UnaryPrimitive(s), group_size_(group_size), bits_(bits) {}

  // inputs: x [..., K], w [N, K * bits / 32], scales, biases [N, K / group], all row-contiguous.
  void eval_cpu(const std::vector<mx::array>& in, mx::array& out) override {
    const auto &x = in[0], &w = in[1], &scales = in[2], &biases = in[3];
    require_plain(in, "quantized_matmul");
    auto& encoder = cpu_output(in, out, stream());
    const int K = x.shape(-1), N = out.shape(-1);
    qmm_cpu::Problem p{x.data<void>(),   *cpu_dtype(x.dtype()),      w.data<uint32_t>(),
                       scales.data<void>(), biases.data<void>(),       *cpu_dtype(scales.dtype()),
                       out.data<void>(), *cpu_dtype(out.dtype()),     static_cast<int>(x.size() / K),
                       N,                K,                             bits_,
                       group_size_};
    encoder.dispatch([p]() { qmm_cpu::run(p); });
  }

  void eval_gpu(const std::vector<mx::array>&, mx::array&) override {
    throw std::runtime_error("[quantized_matmul] the CPU kernel's primitive ran on a GPU stream");
  }

  const char* name() const override { return "VmlxCpuQuantizedMatmul"; }

  bool is_equivalent(const mx::Primitive& other) const override {
    if (std::strcmp(other.name(), name()) != 0) return false;
    const auto& o = static_cast<const CpuQuantizedMatmul&>(other);
    return o.group_size_ == group_size_ && o.bits_ == bits_;
  }

 private:
  int group_size_;
  int bits_;
};

// `ref` (MLX's lazy quantized_matmul) recomputed by the CPU kernel, or nullopt when the kernel does not serve it.
// The kernel reads x, scales and biases in their own float dtypes, so it takes the caller's arrays rather than
// MLX's casts of them (float16 scales with a float32 x would otherwise be converted on every call).
std::optional<mx::array> on_kernel(const mx::array& ref, const mx::array& x_in, const mx::array& scales_in,
                                   const std::optional<mx::array>& biases_in, const mx::Stream& s) {
  if (s.device != mx::Device::cpu) return std::nullopt;
  auto m = affine_matmul(ref);
  if (!m || !qmm_cpu::supports(m->bits, m->group, m->K) || m->scales.dtype() != m->biases.dtype()) return std::nullopt;
  const auto &x = m->x, &scales = m->scales, &biases = m->biases;
  const int group_size = m->group, bits = m->bits;
  if (!cpu_dtype(x.dtype()) || !cpu_dtype(scales.dtype()) || !cpu_dtype(ref.dtype())) return std::nullopt;
  std::vector<mx::array> inputs = ref.inputs();
  if (cpu_dtype(x_in.dtype()) && x_in.shape() == x.shape()) inputs[0] = x_in;
  if (biases_in && cpu_dtype(scales_in.dtype()) && scales_in.dtype() == biases_in->dtype() &&
      scales_in.shape() == scales.shape() && biases_in->shape() == biases.shape()) {
    inputs[2] = scales_in;
    inputs[3] = *biases_in;
  }
  for (auto& a : inputs) a = plain_input(a, s);
  return mx::array(ref.shape(), ref.dtype(), std::make_shared<CpuQuantizedMatmul>(s, group_size, bits),
                   std::move(inputs));
}

mx::array quantized_matmul(const mx::array& x, const mx::array& w, const mx::array& scales,
                           const std::optional<mx::array>& biases, bool transpose, std::optional<int> group_size,
                           std::optional<int> bits, const std::string& mode, const std::string& path,
                           const mx::Stream& s) {
  REQUIRE(path == "auto" || path == "mlx" || path == "kernel",
          "path must be \"auto\", \"mlx\" or \"kernel\", got \"" + path + "\"");
  auto ref = mx::quantized_matmul(x, w, scales, biases, transpose, group_size, bits, mode, s);
  if (path == "mlx") return ref;
  if (s.device == mx::Device::gpu) {
    if (path == "auto" && !qmv::auto_takes_kernel(ref.shape(-1) > 0 ? ref.size() / ref.shape(-1) : 0)) return ref;
    auto ours = qmv::on_gpu(ref, s);
    if (ours) return *ours;
    REQUIRE(path == "auto", "the GPU kernel (CUDA builds) serves affine x @ W^T with bits 4 or 8, group 32, 64 "
                            "or 128, 1 to 16 rows, and x, scales and biases of one float dtype");
    return ref;
  }
  auto ours = on_kernel(ref, x, scales, biases, s);
  if (ours) return *ours;
  REQUIRE(path == "auto", "the CPU kernel serves affine x @ W^T with bits 4 or 8 and group 32, 64 or 128, "
                          "float32/float16/bfloat16, on a CPU stream");
  return ref;
}

}  // namespace

std::optional<AffineMatmul> vmlx::affine_matmul(const mx::array& ref) {
  // (By name: libmlx does not export the primitives' typeinfo.)
  if (!ref.has_primitive() || std::strcmp(ref.primitive().name(), "QuantizedMatmul") != 0 || ref.inputs().size() != 4) {
    return std::nullopt;
  }
  auto [group, bits, mode, transpose] = static_cast<mx::QuantizedMatmul&>(ref.primitive()).state();
  const auto &x = ref.inputs()[0], &w = ref.inputs()[1], &scales = ref.inputs()[2], &biases = ref.inputs()[3];
  if (mode != mx::QuantizationMode::Affine || !transpose || w.ndim() != 2 || scales.ndim() != 2) return std::nullopt;
  if (x.ndim() < 1 || ref.ndim() < 1 || w.dtype() != mx::uint32 || group <= 0) return std::nullopt;
  const int K = x.shape(-1), N = w.shape(0);
  if (K <= 0 || N <= 0 || ref.shape(-1) != N || x.size() / K != ref.size() / N || w.shape(1) != K * bits / 32 ||
      scales.shape() != biases.shape() || scales.shape(0) != N || scales.shape(1) != K / group) {
    return std::nullopt;
  }
  return AffineMatmul{x, w, scales, biases, group, bits, K, N, static_cast<int64_t>(x.size() / K)};
}

mx::array vmlx::quantized_matmul_auto(const mx::array& x, const mx::array& w, const mx::array& scales,
                                      const std::optional<mx::array>& biases, int group_size, int bits,
                                      const mx::Stream& s) {
  return quantized_matmul(x, w, scales, biases, true, group_size, bits, "affine", "auto", s);
}

extern "C" {

int vmlx_quantized_matmul(mlx_array* res, const mlx_array x, const mlx_array w, const mlx_array scales,
                          const mlx_array biases, bool transpose, mlx_optional_int group_size, mlx_optional_int bits,
                          const char* mode, const char* path, const mlx_stream s) {
  VMLX_TRY(assign(res, quantized_matmul(arr(x), arr(w), arr(scales), opt_arr(biases), transpose, opt_int(group_size),
                                        opt_int(bits), str_or(mode, "affine"), str_or(path, "auto"), stream(s))))
}

const char* vmlx_qmm_cpu_isa(void) { return qmm_cpu::isa_name(qmm_cpu::active_isa()); }

int vmlx_qmm_cpu_set_isa(const char* isa) {
  VMLX_TRY({
    auto parsed = qmm_cpu::isa_named(str_or(isa, "auto"));
    REQUIRE(parsed.has_value(),
            "isa must be \"auto\", \"scalar\", \"avx2\", \"avx512\", \"avx512bf16\" or \"amx\", got \"" +
                str_or(isa, "") + "\"");
    REQUIRE(qmm_cpu::set_isa(*parsed), "this CPU or build has no " + str_or(isa, "") + " kernel");
  })
}

}  // extern "C"
