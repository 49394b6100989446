// Elementwise, reduction, shape, creation, sorting and random ops.
#include "common.h"

using namespace vmlx;

extern "C" {

int mlx_add(mlx_array* res, const mlx_array a, const mlx_array b, const mlx_stream s) {
  VMLX_TRY(assign(res, mx::add(arr(a), arr(b), stream(s))))
}

}  // extern "C"
