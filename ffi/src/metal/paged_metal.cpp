// The paged-attention decode kernel for MLX's Metal backend, from metal/paged_attention.metal (embedded at
// configure time into paged_kernel_source.h).
#include "../paged.h"
#include "paged_kernel_source.h"

namespace vmlx::paged {

const mx::fast::CustomKernelFunction& decode_kernel() {
  static const mx::fast::CustomKernelFunction k = mx::fast::metal_kernel(
      "vmlx_paged_attention_decode", {"q", "k_pool", "v_pool", "block_tables", "seq_lens", "params", "window", "after"},
      {"out"}, PAGED_KERNEL_SOURCE, /*header=*/"", /*ensure_row_contiguous=*/true, /*atomic_outputs=*/false);
  return k;
}

}  // namespace vmlx::paged
