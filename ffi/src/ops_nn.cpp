// Matmul, quantization, gather, fast.* and compiled kernels.
#include "common.h"

using namespace vmlx;

extern "C" {

int mlx_matmul(mlx_array* res, const mlx_array a, const mlx_array b, const mlx_stream s) {
  VMLX_TRY(assign(res, mx::matmul(arr(a), arr(b), stream(s))))
}

}  // extern "C"
