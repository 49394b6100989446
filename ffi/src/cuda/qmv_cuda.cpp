// The matrix-vector kernel for a few rows on MLX's CUDA backend (ffi/kernels/qmv.cu, compiled with NVRTC by MLX on
// first use). Without CUDA (ffi/src/qmm.cpp) the GPU path is MLX's op.
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
  if (s.device != mx::Device::gpu) return std::nullopt;
  auto m = affine_matmul(ref);
  if (!m || (m->bits != 4 && m->bits != 8) || (m->group != 32 && m->group != 64 && m->group != 128)) {
    return std::nullopt;
  }
  const auto &x = m->x, &w = m->w, &scales = m->scales, &biases = m->biases;
  const auto t = x.dtype();
  if (!float_type(t) || scales.dtype() != t || biases.dtype() != t || ref.dtype() != t) return std::nullopt;
  const int K = m->K, N = m->N;
  if (K % m->group != 0 || m->rows > MAX_ROWS) return std::nullopt;
  const int rows = static_cast<int>(m->rows), bits = m->bits, group = m->group;
  auto x2 = mx::reshape(x, {rows, K}, s);
  const int blocks = (N + WARPS - 1) / WARPS;
  auto out = kernel()({x2, w, scales, biases}, {{rows, N}}, {x.dtype()}, {32 * WARPS * blocks, 1, 1},
                      {32 * WARPS, 1, 1},
                      {{"T", x.dtype()}, {"BITS", bits}, {"G", group}, {"M", rows}, {"NW", WARPS}, {"UNROLL", UNROLL}},
                      std::nullopt, false, s)[0];
  return mx::reshape(out, ref.shape(), s);
}

}  // namespace vmlx::qmv
