// Slicing, slice updates, take and put.
#include "common.h"

using namespace vmlx;

extern "C" {

int mlx_slice(mlx_array* res, const mlx_array a, const int* start, size_t start_num, const int* stop,
              size_t stop_num, const int* strides, size_t strides_num, const mlx_stream s) {
  VMLX_TRY(assign(res, mx::slice(arr(a), to_shape(start, start_num), to_shape(stop, stop_num),
                                 to_shape(strides, strides_num), stream(s))))
}

int mlx_slice_update(mlx_array* res, const mlx_array src, const mlx_array update, const int* start, size_t start_num,
                     const int* stop, size_t stop_num, const int* strides, size_t strides_num, const mlx_stream s) {
  VMLX_TRY(assign(res, mx::slice_update(arr(src), arr(update), to_shape(start, start_num), to_shape(stop, stop_num),
                                        to_shape(strides, strides_num), stream(s))))
}

int mlx_take(mlx_array* res, const mlx_array a, const mlx_array indices, const mlx_stream s) {
  VMLX_TRY(assign(res, mx::take(arr(a), arr(indices), stream(s))))
}

int mlx_take_axis(mlx_array* res, const mlx_array a, const mlx_array indices, int axis, const mlx_stream s) {
  VMLX_TRY(assign(res, mx::take(arr(a), arr(indices), axis, stream(s))))
}

int mlx_take_along_axis(mlx_array* res, const mlx_array a, const mlx_array indices, int axis, const mlx_stream s) {
  VMLX_TRY(assign(res, mx::take_along_axis(arr(a), arr(indices), axis, stream(s))))
}

int mlx_put_along_axis(mlx_array* res, const mlx_array a, const mlx_array indices, const mlx_array values, int axis,
                       const mlx_stream s) {
  VMLX_TRY(assign(res, mx::put_along_axis(arr(a), arr(indices), arr(values), axis, stream(s))))
}

}  // extern "C"
