// The matrix-vector kernel for a few rows on MLX's CUDA backend (ffi/kernels/qmv.cu, compiled with NVRTC on first
// use and launched directly, cuda/direct.h). Without CUDA (ffi/src/qmm.cpp) the GPU path is MLX's op.
#include <cstdlib>
#include <cstring>

#include "../qmv.h"
#include "direct.h"
#include "qmv_kernel_source.h"

namespace vmlx::qmv {

namespace {

constexpr int WARPS = 8;            // warps a block
constexpr int LOADS_IN_FLIGHT = 8;  // 16-byte weight loads a lane issues before it waits: 4 KB a warp
constexpr int TARGET_WARPS = 2048;  // 16 warps (64 KB in flight) on each of an H100's or H200's 132 SMs
constexpr int MAX_ROWS = 16;

// How ffi/kernels/qmv.cu splits one product: COLS columns a warp, UNROLL passes (512 bytes of a row each) a lane
// loads before it waits, KS warps of a block splitting K.
struct Layout {
  int cols, unroll, slices;
};

// COLS = 8 serves each x load to 8 weight rows; past 4 rows of x its 2 * COLS * rows sums would crowd the registers,
// so 4, and past 8 rows 2 (COLS * rows stays within a warp's 32 lanes for the slices' sum). UNROLL fills the 8 loads
// in flight. KS doubles (up to the block's 8 warps) while the column groups are fewer
// than TARGET_WARPS and each slice still gets a full UNROLL of passes: k/v at 4 bits (1024 x 4096) gets 4 slices,
// q/o 4, gate/up 2, lm_head 1.
Layout layout(int N, int K, int rows, int bits) {
  const int cols = rows <= 4 ? 8 : rows <= 8 ? 4 : 2;
  const int unroll = LOADS_IN_FLIGHT / cols;
  const int passes = (K / (128 / bits) + 31) / 32;
  const int col_groups = (N + cols - 1) / cols;
  int slices = 1;
  while (slices < WARPS && 2 * slices * unroll <= passes && col_groups * slices < TARGET_WARPS) slices *= 2;
  return {cols, unroll, slices};
}

const mx::fast::CustomKernelFunction& kernel() {
  static const mx::fast::CustomKernelFunction k =
      cuda::function({"vmlx_qmv", QMV_KERNEL_SOURCE, nullptr, {"x", "w", "scales", "biases"}, {"out"}});
  return k;
}

bool float_type(mx::Dtype t) { return t == mx::float16 || t == mx::bfloat16 || t == mx::float32; }

}  // namespace

bool auto_takes_kernel(int64_t rows) {
  // The smallest row count the kernel takes: kernel = 1, N = N, anything else (mlx, unset, not a number) = never.
  static const int64_t from = []() -> int64_t {
    const char* v = std::getenv("VLLM_MLX_QMV");
    if (v == nullptr) return MAX_ROWS + 1;
    if (std::strcmp(v, "kernel") == 0) return 1;
    char* end = nullptr;
    const long n = std::strtol(v, &end, 10);
    return end != v && *end == '\0' && n >= 1 ? static_cast<int64_t>(n) : MAX_ROWS + 1;
  }();
  return rows >= from;
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
  // x and the result keep their shapes ([..., K] and [..., N]): the kernel reads K from w and M is a constant, so
  // no reshape nodes go around it
  const auto [cols, unroll, slices] = layout(N, K, rows, bits);
  const int col_groups = WARPS / slices;  // a block's warps: col_groups x slices
  const int blocks = (N + col_groups * cols - 1) / (col_groups * cols);
  return kernel()({x, w, scales, biases}, {ref.shape()}, {x.dtype()}, {32 * col_groups * blocks, slices, 1},
                  {32 * col_groups, slices, 1},
                  {{"T", x.dtype()}, {"BITS", bits}, {"G", group}, {"M", rows}, {"NW", WARPS}, {"COLS", cols},
                   {"UNROLL", unroll}},
                  std::nullopt, false, s)[0];
}

}  // namespace vmlx::qmv
