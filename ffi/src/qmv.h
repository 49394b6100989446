// vmlx_quantized_matmul on a GPU stream: our matrix-vector kernel for a few rows (a decode step's projections),
// where the backend has one (CUDA: ffi/src/cuda/qmv_cuda.cpp, ffi/kernels/qmv.cu).
#pragma once
#include <optional>

#include "common.h"

namespace vmlx::qmv {

// `ref` (MLX's lazy quantized_matmul, its inputs already cast by MLX) recomputed by the kernel, or nullopt when
// this build has no GPU kernel or the kernel does not serve it (not affine x @ W^T, bits other than 4 and 8, a group
// other than 32, 64 and 128, more than 8 rows, x and scales of different dtypes, not on a GPU stream).
std::optional<mx::array> on_gpu(const mx::array& ref, const mx::Stream& s);

// Whether the "auto" path takes the kernel on a GPU stream: VLLM_MLX_QMV=kernel (read once). MLX's op otherwise,
// until the kernel has been checked on a GPU.
bool auto_takes_kernel();

}  // namespace vmlx::qmv
