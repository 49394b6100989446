// The paged KV write kernel for MLX's Metal backend, from metal/reshape_and_cache.metal (embedded at configure
// time into cache_write_kernel_source.h).
#include "../cache_write.h"
#include "cache_write_kernel_source.h"

namespace vmlx::cache_write {

const mx::fast::CustomKernelFunction& write_kernel() {
  static const mx::fast::CustomKernelFunction k = mx::fast::metal_kernel(
      "vmlx_reshape_and_cache", {"k_pool", "v_pool", "k", "v", "slot_mapping"}, {"done"},
      CACHE_WRITE_KERNEL_SOURCE, /*header=*/"", /*ensure_row_contiguous=*/true, /*atomic_outputs=*/false);
  return k;
}

}  // namespace vmlx::cache_write
