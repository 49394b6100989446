// Launch of the paged KV write kernel, shared by the Metal and CUDA builds; the kernel factory is per backend
// (src/metal/cache_write_metal.cpp, src/cuda/cache_write_cuda.cpp).
#include "cache_write.h"

#if defined(VMLX_WITH_METAL) || defined(VMLX_WITH_CUDA)
namespace vmlx::cache_write {

// Defined by the backend's file: the JIT kernel built from the embedded source.
const mx::fast::CustomKernelFunction& write_kernel();

std::pair<mx::array, mx::array> kernel(const Args& a, const mx::Stream& s) {
  constexpr int THREADS = 256;
  int num_tokens = a.slot_mapping.shape(0);
  if (num_tokens == 0) return {a.k_pool, a.v_pool};
  auto done = write_kernel()({a.k_pool, a.v_pool, a.k, a.v, a.slot_mapping}, {{1}}, {mx::int32},
                             {THREADS, num_tokens, 1}, {THREADS, 1, 1}, {{"T", a.k_pool.dtype()}}, std::nullopt,
                             false, s);
  auto views = mx::depends({a.k_pool, a.v_pool}, done);
  return {views[0], views[1]};
}

}  // namespace vmlx::cache_write
#endif
