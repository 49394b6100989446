// vmlx::qmv where the build has no GPU matrix-vector kernel (CPU and Metal builds): the GPU path is MLX's op.
#if !defined(VMLX_WITH_CUDA)
#include "qmv.h"

namespace vmlx::qmv {

std::optional<mx::array> on_gpu(const mx::array&, const mx::Stream&) { return std::nullopt; }

bool auto_takes_kernel(int64_t) { return false; }

}  // namespace vmlx::qmv
#endif
