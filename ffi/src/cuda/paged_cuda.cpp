// The paged-attention decode kernel for MLX's CUDA backend, from ffi/kernels/paged_attention.cu (embedded at
// configure time into paged_kernel_source.h; MLX compiles it with NVRTC on first use).
#include "../paged.h"
#include "paged_kernel_source.h"

namespace vmlx::paged {

const mx::fast::CustomKernelFunction& decode_kernel() {
  static const mx::fast::CustomKernelFunction k = mx::fast::cuda_kernel(
      "vmlx_paged_attention_decode", {"q", "k_pool", "v_pool", "block_tables", "seq_lens", "params", "window", "after"},
      {"out"}, PAGED_KERNEL_SOURCE, /*header=*/"", /*ensure_row_contiguous=*/true, /*shared_memory=*/0);
  return k;
}

}  // namespace vmlx::paged
