// vmlx_quantized_matmul on a GPU stream: our matrix-vector kernel for a few rows (a decode step's projections),
// where the backend has one (CUDA: ffi/src/cuda/qmv_cuda.cpp, ffi/kernels/qmv.cu).
#pragma once
#include <optional>

#include "common.h"

namespace vmlx {

// MLX's lazy quantized_matmul `ref`, its inputs already cast by MLX, when it is what our kernels compute: affine
// x @ W^T with a 2-D packed uint32 weight, scales and biases [N, K / group] of one shape, `rows` rows of x.
struct AffineMatmul {
  mx::array x, w, scales, biases;
  int group, bits, K, N;
  int64_t rows;
};

// `ref` as an AffineMatmul, or nullopt when it is another product (ffi/src/qmm.cpp; the CPU and GPU kernels each
// check what they serve beyond it).
std::optional<AffineMatmul> affine_matmul(const mx::array& ref);

}  // namespace vmlx

namespace vmlx::qmv {

// `ref` (MLX's lazy quantized_matmul, its inputs already cast by MLX) recomputed by the kernel, or nullopt when
// this build has no GPU kernel or the kernel does not serve it (not affine x @ W^T, bits other than 4 and 8, a group
// other than 32, 64 and 128, more than 16 rows, x and scales of different dtypes, not on a GPU stream).
std::optional<mx::array> on_gpu(const mx::array& ref, const mx::Stream& s);

// Whether the "auto" path takes the kernel on a GPU stream for a product of `rows` rows of x: VLLM_MLX_QMV=kernel
// (every row count the kernel serves), =N (from N rows up: a short chunk's rows, not a decode's one), =mlx or unset
// (never); read once. MLX's op otherwise.
bool auto_takes_kernel(int64_t rows);

}  // namespace vmlx::qmv
