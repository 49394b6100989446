// Reductions, softmax, scans and sorting.
#include "common.h"

using namespace vmlx;

#define VMLX_REDUCTION(name)                                                                                  \
  int mlx_##name(mlx_array* res, const mlx_array a, bool keepdims, const mlx_stream s) {                       \
    VMLX_TRY(assign(res, mx::name(arr(a), keepdims, stream(s))))                                               \
  }                                                                                                           \
  int mlx_##name##_axes(mlx_array* res, const mlx_array a, const int* axes, size_t axes_num, bool keepdims,   \
                        const mlx_stream s) {                                                                 \
    VMLX_TRY(assign(res, mx::name(arr(a), to_ints(axes, axes_num), keepdims, stream(s))))                      \
  }

extern "C" {

VMLX_REDUCTION(sum)
VMLX_REDUCTION(mean)
VMLX_REDUCTION(max)
VMLX_REDUCTION(min)
VMLX_REDUCTION(prod)
VMLX_REDUCTION(all)
VMLX_REDUCTION(any)
VMLX_REDUCTION(logsumexp)

int mlx_argmax(mlx_array* res, const mlx_array a, bool keepdims, const mlx_stream s) {
  VMLX_TRY(assign(res, mx::argmax(arr(a), keepdims, stream(s))))
}

int mlx_argmax_axis(mlx_array* res, const mlx_array a, int axis, bool keepdims, const mlx_stream s) {
  VMLX_TRY(assign(res, mx::argmax(arr(a), axis, keepdims, stream(s))))
}

int mlx_argmin(mlx_array* res, const mlx_array a, bool keepdims, const mlx_stream s) {
  VMLX_TRY(assign(res, mx::argmin(arr(a), keepdims, stream(s))))
}

int mlx_argmin_axis(mlx_array* res, const mlx_array a, int axis, bool keepdims, const mlx_stream s) {
  VMLX_TRY(assign(res, mx::argmin(arr(a), axis, keepdims, stream(s))))
}

int mlx_softmax_axes(mlx_array* res, const mlx_array a, const int* axes, size_t axes_num, bool precise,
                     const mlx_stream s) {
  VMLX_TRY(assign(res, mx::softmax(arr(a), to_ints(axes, axes_num), precise, stream(s))))
}

int mlx_cumsum(mlx_array* res, const mlx_array a, int axis, bool reverse, bool inclusive, const mlx_stream s) {
  VMLX_TRY(assign(res, mx::cumsum(arr(a), axis, reverse, inclusive, stream(s))))
}

int mlx_sort_axis(mlx_array* res, const mlx_array a, int axis, const mlx_stream s) {
  VMLX_TRY(assign(res, mx::sort(arr(a), axis, stream(s))))
}

int mlx_argsort_axis(mlx_array* res, const mlx_array a, int axis, const mlx_stream s) {
  VMLX_TRY(assign(res, mx::argsort(arr(a), axis, stream(s))))
}

int mlx_partition_axis(mlx_array* res, const mlx_array a, int kth, int axis, const mlx_stream s) {
  VMLX_TRY(assign(res, mx::partition(arr(a), kth, axis, stream(s))))
}

int mlx_argpartition_axis(mlx_array* res, const mlx_array a, int kth, int axis, const mlx_stream s) {
  VMLX_TRY(assign(res, mx::argpartition(arr(a), kth, axis, stream(s))))
}

int mlx_topk_axis(mlx_array* res, const mlx_array a, int k, int axis, const mlx_stream s) {
  VMLX_TRY(assign(res, mx::topk(arr(a), k, axis, stream(s))))
}

}  // extern "C"
