// Reshaping, axis moves, joining and splitting.
#include "common.h"

using namespace vmlx;

namespace {
std::vector<mx::array> gather_handles(const mlx_array* arrays, size_t num) {
  std::vector<mx::array> out;
  out.reserve(num);
  for (size_t i = 0; i < num; ++i) out.push_back(arr(arrays[i]));
  return out;
}

void assign_vector(mlx_vector_array* res, std::vector<mx::array> parts) {
  if (res->ctx) {
    vec(*res) = std::move(parts);
  } else {
    res->ctx = new std::vector<mx::array>(std::move(parts));
  }
}
}  // namespace

extern "C" {

int mlx_reshape(mlx_array* res, const mlx_array a, const int* shape, size_t shape_num, const mlx_stream s) {
  VMLX_TRY(assign(res, mx::reshape(arr(a), to_shape(shape, shape_num), stream(s))))
}

int mlx_transpose(mlx_array* res, const mlx_array a, const mlx_stream s) {
  VMLX_TRY(assign(res, mx::transpose(arr(a), stream(s))))
}

int mlx_transpose_axes(mlx_array* res, const mlx_array a, const int* axes, size_t axes_num, const mlx_stream s) {
  VMLX_TRY(assign(res, mx::transpose(arr(a), to_ints(axes, axes_num), stream(s))))
}

int mlx_swapaxes(mlx_array* res, const mlx_array a, int axis1, int axis2, const mlx_stream s) {
  VMLX_TRY(assign(res, mx::swapaxes(arr(a), axis1, axis2, stream(s))))
}

int mlx_expand_dims_axes(mlx_array* res, const mlx_array a, const int* axes, size_t axes_num, const mlx_stream s) {
  VMLX_TRY(assign(res, mx::expand_dims(arr(a), to_ints(axes, axes_num), stream(s))))
}

int mlx_squeeze(mlx_array* res, const mlx_array a, const mlx_stream s) {
  VMLX_TRY(assign(res, mx::squeeze(arr(a), stream(s))))
}

int mlx_squeeze_axes(mlx_array* res, const mlx_array a, const int* axes, size_t axes_num, const mlx_stream s) {
  VMLX_TRY(assign(res, mx::squeeze(arr(a), to_ints(axes, axes_num), stream(s))))
}

int mlx_broadcast_to(mlx_array* res, const mlx_array a, const int* shape, size_t shape_num, const mlx_stream s) {
  VMLX_TRY(assign(res, mx::broadcast_to(arr(a), to_shape(shape, shape_num), stream(s))))
}

int mlx_flatten(mlx_array* res, const mlx_array a, int start_axis, int end_axis, const mlx_stream s) {
  VMLX_TRY(assign(res, mx::flatten(arr(a), start_axis, end_axis, stream(s))))
}

int mlx_concatenate_axis(mlx_array* res, const mlx_vector_array arrays, int axis, const mlx_stream s) {
  VMLX_TRY(assign(res, mx::concatenate(vec(arrays), axis, stream(s))))
}

int mlx_stack_axis(mlx_array* res, const mlx_vector_array arrays, int axis, const mlx_stream s) {
  VMLX_TRY(assign(res, mx::stack(vec(arrays), axis, stream(s))))
}

int vmlx_concatenate_n(mlx_array* res, const mlx_array* arrays, size_t num, int axis, const mlx_stream s) {
  VMLX_TRY(assign(res, mx::concatenate(gather_handles(arrays, num), axis, stream(s))))
}

int vmlx_stack_n(mlx_array* res, const mlx_array* arrays, size_t num, int axis, const mlx_stream s) {
  VMLX_TRY(assign(res, mx::stack(gather_handles(arrays, num), axis, stream(s))))
}

int mlx_split(mlx_vector_array* res, const mlx_array a, int num_splits, int axis, const mlx_stream s) {
  VMLX_TRY(assign_vector(res, mx::split(arr(a), num_splits, axis, stream(s))))
}

int mlx_split_sections(mlx_vector_array* res, const mlx_array a, const int* indices, size_t indices_num, int axis,
                       const mlx_stream s) {
  VMLX_TRY(assign_vector(res, mx::split(arr(a), to_shape(indices, indices_num), axis, stream(s))))
}

int mlx_repeat_axis(mlx_array* res, const mlx_array a, int repeats, int axis, const mlx_stream s) {
  VMLX_TRY(assign(res, mx::repeat(arr(a), repeats, axis, stream(s))))
}

int mlx_repeat(mlx_array* res, const mlx_array a, int repeats, const mlx_stream s) {
  VMLX_TRY(assign(res, mx::repeat(arr(a), repeats, stream(s))))
}

int mlx_pad(mlx_array* res, const mlx_array a, const int* axes, size_t axes_num, const int* low_pad_size,
            size_t low_pad_size_num, const int* high_pad_size, size_t high_pad_size_num, const mlx_array pad_value,
            const char* mode, const mlx_stream s) {
  VMLX_TRY(assign(res, mx::pad(arr(a), to_ints(axes, axes_num), to_shape(low_pad_size, low_pad_size_num),
                               to_shape(high_pad_size, high_pad_size_num), arr(pad_value),
                               mode ? std::string(mode) : std::string("constant"), stream(s))))
}

}  // extern "C"
