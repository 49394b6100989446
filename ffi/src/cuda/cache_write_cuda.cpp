// The paged KV write kernel for MLX's CUDA backend, from ffi/kernels/reshape_and_cache.cu (embedded at configure
// time into cache_write_kernel_source.h; compiled with NVRTC on first use and launched directly, cuda/direct.h).
#include "../cache_write.h"
#include "cache_write_kernel_source.h"
#include "direct.h"

namespace vmlx::cache_write {

const mx::fast::CustomKernelFunction& write_kernel() {
  static const mx::fast::CustomKernelFunction k = cuda::function(
      {"vmlx_reshape_and_cache", CACHE_WRITE_KERNEL_SOURCE, nullptr, {"k_pool", "v_pool", "k", "v", "slot_mapping"},
       {"done"}});
  return k;
}

}  // namespace vmlx::cache_write
