// The matrix-vector kernel for a few rows on MLX's CUDA backend (ffi/kernels/qmv.cu, compiled with NVRTC by MLX on
// first use). Without CUDA (ffi/src/qmm.cpp) the GPU path is MLX's op.
#include <mlx/primitives.h>

#include <cstdlib>
#include <cstring>

#include "../qmv.h"
#include "qmv_kernel_source.h"

namespace vmlx::qmv {

namespace {

constexpr int WARPS = 8;   // output columns a block (one warp each)
constexpr int UNROLL = 4;  // 16-byte weight loads each lane has in flight
constexpr int MAX_ROWS = 8;

const mx::fast::CustomKernelFunction& kernel() {
  static const mx::fast::CustomKernelFunction k =
      mx::fast::cuda_kernel("vmlx_qmv", {"x", "w", "scales", "biases"}, {"out"}, QMV_KERNEL_SOURCE, /*header=*/"",
                            /*ensure_row_contiguous=*/true, /*shared_memory=*/0);
  return k;
}

bool float_type(mx::Dtype t) { return t == mx::float16 || t == mx::bfloat16 || t == mx::float32; }

}  // namespace

bool auto_takes_kernel() {
  static const bool on = [] {
    const char* v = std::getenv("VLLM_MLX_QMV");
    return v != nullptr && std::strcmp(v, "kernel") == 0;
  }();
  return on;
}

std::optional<mx::array> on_gpu(const mx::array& ref, const mx::Stream& s) {
  if (s.device != mx::Device::gpu || !ref.has_primitive()) return std::nullopt;
  // (By name: libmlx does not export the primitives' typeinfo.)
  if (std::strcmp(ref.primitive().name(), "QuantizedMatmul") != 0 || ref.inputs().size() != 4) return std::nullopt;
  auto [group, bits, mode, transpose] = static_cast<mx::QuantizedMatmul&>(ref.primitive()).state();
  const auto &x = ref.inputs()[0], &w = ref.inputs()[1], &scales = ref.inputs()[2], &biases = ref.inputs()[3];
  if (mode != mx::QuantizationMode::Affine || !transpose || w.ndim() != 2 || scales.ndim() != 2) return std::nullopt;
  if ((bits != 4 && bits != 8) || (group != 32 && group != 64 && group != 128)) return std::nullopt;
  if (x.ndim() < 1 || ref.ndim() < 1 || w.dtype() != mx::uint32 || !float_type(x.dtype())) return std::nullopt;
  if (scales.dtype() != x.dtype() || biases.dtype() != x.dtype() || ref.dtype() != x.dtype()) return std::nullopt;
  const int K = x.shape(-1), N = w.shape(0);
  const int rows = static_cast<int>(x.size() / K);
  if (K % group != 0 || rows < 1 || rows > MAX_ROWS || ref.shape(-1) != N || w.shape(1) != K * bits / 32 ||
      scales.shape() != biases.shape() || scales.shape(0) != N || scales.shape(1) != K / group) {
    return std::nullopt;
  }
  auto x2 = mx::reshape(x, {rows, K}, s);
  const int blocks = (N + WARPS - 1) / WARPS;
  auto out = kernel()({x2, w, scales, biases}, {{rows, N}}, {x.dtype()}, {32 * WARPS * blocks, 1, 1},
                      {32 * WARPS, 1, 1},
                      {{"T", x.dtype()}, {"BITS", bits}, {"G", group}, {"M", rows}, {"NW", WARPS}, {"UNROLL", UNROLL}},
                      std::nullopt, false, s)[0];
  return mx::reshape(out, ref.shape(), s);
}

}  // namespace vmlx::qmv
