// Creation ops, dtype conversion, and host scalars typed the way MLX Python types them.
#include <cmath>

#include "common.h"

namespace vmlx {
// MLX Python's weak scalar typing: a scalar takes the other operand's dtype when that keeps its value kind.
mx::array weak_scalar(double val, const mx::array* like) {
  bool integral = std::isfinite(val) && std::trunc(val) == val;
  if (like) {
    mx::Dtype dt = like->dtype();
    bool floating = mx::issubdtype(dt, mx::inexact);
    bool integer = mx::issubdtype(dt, mx::integer);
    if (floating || (integer && integral)) return mx::array(val, dt);
  }
  bool fits_int32 = integral && std::abs(val) <= 2147483647.0;
  return fits_int32 ? mx::array(static_cast<int>(val), mx::int32) : mx::array(static_cast<float>(val), mx::float32);
}
}  // namespace vmlx

using namespace vmlx;

extern "C" {

int mlx_zeros(mlx_array* res, const int* shape, size_t shape_num, mlx_dtype dtype, const mlx_stream s) {
  VMLX_TRY(assign(res, mx::zeros(to_shape(shape, shape_num), to_dtype(dtype), stream(s))))
}

int mlx_ones(mlx_array* res, const int* shape, size_t shape_num, mlx_dtype dtype, const mlx_stream s) {
  VMLX_TRY(assign(res, mx::ones(to_shape(shape, shape_num), to_dtype(dtype), stream(s))))
}

int mlx_full(mlx_array* res, const int* shape, size_t shape_num, const mlx_array vals, mlx_dtype dtype,
             const mlx_stream s) {
  VMLX_TRY(assign(res, mx::full(to_shape(shape, shape_num), arr(vals), to_dtype(dtype), stream(s))))
}

int vmlx_full_scalar(mlx_array* res, const int* shape, size_t shape_num, double val, mlx_dtype dtype,
                     const mlx_stream s) {
  VMLX_TRY({
    mx::Dtype dt = to_dtype(dtype);
    assign(res, mx::full(to_shape(shape, shape_num), mx::array(val, dt), dt, stream(s)));
  })
}

int vmlx_scalar_like(mlx_array* res, double val, const mlx_array like) {
  VMLX_TRY(assign(res, weak_scalar(val, like.ctx ? &arr(like) : nullptr)))
}

int mlx_arange(mlx_array* res, double start, double stop, double step, mlx_dtype dtype, const mlx_stream s) {
  VMLX_TRY(assign(res, mx::arange(start, stop, step, to_dtype(dtype), stream(s))))
}

int mlx_astype(mlx_array* res, const mlx_array a, mlx_dtype dtype, const mlx_stream s) {
  VMLX_TRY(assign(res, mx::astype(arr(a), to_dtype(dtype), stream(s))))
}

int mlx_contiguous(mlx_array* res, const mlx_array a, bool allow_col_major, const mlx_stream s) {
  VMLX_TRY(assign(res, mx::contiguous(arr(a), allow_col_major, stream(s))))
}

int mlx_tril(mlx_array* res, const mlx_array x, int k, const mlx_stream s) {
  VMLX_TRY(assign(res, mx::tril(arr(x), k, stream(s))))
}

int mlx_triu(mlx_array* res, const mlx_array x, int k, const mlx_stream s) {
  VMLX_TRY(assign(res, mx::triu(arr(x), k, stream(s))))
}

}  // extern "C"
