/* Elementwise, reduction, shape, creation, sorting and random ops.
 * mlx-c names and signatures: out-parameter first, stream last, int status. A `key` may be null (ctx == NULL)
 * to use the global PRNG. Symbols with the `vmlx_` prefix are ours: one-call shortcuts mlx-c lacks. */
#ifndef VMLX_OPS_CORE_H
#define VMLX_OPS_CORE_H
#ifdef __cplusplus
extern "C" {
#endif

/* ---- creation (ops_core_creation.cpp) ---- */
VMLX_API int mlx_zeros(mlx_array* res, const int* shape, size_t shape_num, mlx_dtype dtype, const mlx_stream s);
VMLX_API int mlx_ones(mlx_array* res, const int* shape, size_t shape_num, mlx_dtype dtype, const mlx_stream s);
VMLX_API int mlx_full(mlx_array* res, const int* shape, size_t shape_num, const mlx_array vals, mlx_dtype dtype,
                      const mlx_stream s);
VMLX_API int mlx_arange(mlx_array* res, double start, double stop, double step, mlx_dtype dtype, const mlx_stream s);
VMLX_API int mlx_astype(mlx_array* res, const mlx_array a, mlx_dtype dtype, const mlx_stream s);
VMLX_API int mlx_contiguous(mlx_array* res, const mlx_array a, bool allow_col_major, const mlx_stream s);
VMLX_API int mlx_tril(mlx_array* res, const mlx_array x, int k, const mlx_stream s);
VMLX_API int mlx_triu(mlx_array* res, const mlx_array x, int k, const mlx_stream s);
/* `full` with a host scalar: one call instead of building a 0-d array first. */
VMLX_API int vmlx_full_scalar(mlx_array* res, const int* shape, size_t shape_num, double val, mlx_dtype dtype,
                              const mlx_stream s);
/* A 0-d array holding `val` typed as MLX Python types a scalar beside `like` (weak typing): like's dtype when it
 * is floating, or integral and `val` is an integer; else int32 (integer `val`) or float32. Null `like` gives
 * int32 or float32. */
VMLX_API int vmlx_scalar_like(mlx_array* res, double val, const mlx_array like);

/* ---- elementwise (ops_core_elementwise.cpp) ---- */
VMLX_API int mlx_add(mlx_array* res, const mlx_array a, const mlx_array b, const mlx_stream s);
VMLX_API int mlx_subtract(mlx_array* res, const mlx_array a, const mlx_array b, const mlx_stream s);
VMLX_API int mlx_multiply(mlx_array* res, const mlx_array a, const mlx_array b, const mlx_stream s);
VMLX_API int mlx_divide(mlx_array* res, const mlx_array a, const mlx_array b, const mlx_stream s);
VMLX_API int mlx_maximum(mlx_array* res, const mlx_array a, const mlx_array b, const mlx_stream s);
VMLX_API int mlx_minimum(mlx_array* res, const mlx_array a, const mlx_array b, const mlx_stream s);
VMLX_API int mlx_power(mlx_array* res, const mlx_array a, const mlx_array b, const mlx_stream s);
VMLX_API int mlx_remainder(mlx_array* res, const mlx_array a, const mlx_array b, const mlx_stream s);
VMLX_API int mlx_equal(mlx_array* res, const mlx_array a, const mlx_array b, const mlx_stream s);
VMLX_API int mlx_not_equal(mlx_array* res, const mlx_array a, const mlx_array b, const mlx_stream s);
VMLX_API int mlx_greater(mlx_array* res, const mlx_array a, const mlx_array b, const mlx_stream s);
VMLX_API int mlx_greater_equal(mlx_array* res, const mlx_array a, const mlx_array b, const mlx_stream s);
VMLX_API int mlx_less(mlx_array* res, const mlx_array a, const mlx_array b, const mlx_stream s);
VMLX_API int mlx_less_equal(mlx_array* res, const mlx_array a, const mlx_array b, const mlx_stream s);
VMLX_API int mlx_logical_and(mlx_array* res, const mlx_array a, const mlx_array b, const mlx_stream s);
VMLX_API int mlx_logical_or(mlx_array* res, const mlx_array a, const mlx_array b, const mlx_stream s);
VMLX_API int mlx_where(mlx_array* res, const mlx_array condition, const mlx_array x, const mlx_array y,
                       const mlx_stream s);

/* Binary op codes for vmlx_binary_scalar, in the order of the mlx_* binary ops above. */
typedef enum vmlx_binary_op_ {
  VMLX_ADD,
  VMLX_SUBTRACT,
  VMLX_MULTIPLY,
  VMLX_DIVIDE,
  VMLX_MAXIMUM,
  VMLX_MINIMUM,
  VMLX_POWER,
  VMLX_REMAINDER,
  VMLX_EQUAL,
  VMLX_NOT_EQUAL,
  VMLX_GREATER,
  VMLX_GREATER_EQUAL,
  VMLX_LESS,
  VMLX_LESS_EQUAL,
  VMLX_LOGICAL_AND,
  VMLX_LOGICAL_OR,
} vmlx_binary_op;
/* `op(a, b)` with b a host scalar typed as in vmlx_scalar_like (or `op(b, a)` when scalar_first). One call. */
VMLX_API int vmlx_binary_scalar(mlx_array* res, int op, const mlx_array a, double b, bool scalar_first,
                                const mlx_stream s);

VMLX_API int mlx_negative(mlx_array* res, const mlx_array a, const mlx_stream s);
VMLX_API int mlx_abs(mlx_array* res, const mlx_array a, const mlx_stream s);
VMLX_API int mlx_sign(mlx_array* res, const mlx_array a, const mlx_stream s);
VMLX_API int mlx_exp(mlx_array* res, const mlx_array a, const mlx_stream s);
VMLX_API int mlx_log(mlx_array* res, const mlx_array a, const mlx_stream s);
VMLX_API int mlx_log1p(mlx_array* res, const mlx_array a, const mlx_stream s);
VMLX_API int mlx_sqrt(mlx_array* res, const mlx_array a, const mlx_stream s);
VMLX_API int mlx_rsqrt(mlx_array* res, const mlx_array a, const mlx_stream s);
VMLX_API int mlx_square(mlx_array* res, const mlx_array a, const mlx_stream s);
VMLX_API int mlx_reciprocal(mlx_array* res, const mlx_array a, const mlx_stream s);
VMLX_API int mlx_sin(mlx_array* res, const mlx_array a, const mlx_stream s);
VMLX_API int mlx_cos(mlx_array* res, const mlx_array a, const mlx_stream s);
VMLX_API int mlx_tanh(mlx_array* res, const mlx_array a, const mlx_stream s);
VMLX_API int mlx_sigmoid(mlx_array* res, const mlx_array a, const mlx_stream s);
VMLX_API int mlx_erf(mlx_array* res, const mlx_array a, const mlx_stream s);
VMLX_API int mlx_logical_not(mlx_array* res, const mlx_array a, const mlx_stream s);
VMLX_API int mlx_floor(mlx_array* res, const mlx_array a, const mlx_stream s);
VMLX_API int mlx_ceil(mlx_array* res, const mlx_array a, const mlx_stream s);
VMLX_API int mlx_isnan(mlx_array* res, const mlx_array a, const mlx_stream s);
VMLX_API int mlx_isinf(mlx_array* res, const mlx_array a, const mlx_stream s);
VMLX_API int mlx_stop_gradient(mlx_array* res, const mlx_array a, const mlx_stream s);
VMLX_API int mlx_round(mlx_array* res, const mlx_array a, int decimals, const mlx_stream s);

/* ---- reductions, scans and sorting (ops_core_reduce.cpp) ---- */
#define VMLX_DECLARE_REDUCTION(name)                                                                       \
  VMLX_API int mlx_##name(mlx_array* res, const mlx_array a, bool keepdims, const mlx_stream s);           \
  VMLX_API int mlx_##name##_axes(mlx_array* res, const mlx_array a, const int* axes, size_t axes_num,      \
                                 bool keepdims, const mlx_stream s);
VMLX_DECLARE_REDUCTION(sum)
VMLX_DECLARE_REDUCTION(mean)
VMLX_DECLARE_REDUCTION(max)
VMLX_DECLARE_REDUCTION(min)
VMLX_DECLARE_REDUCTION(prod)
VMLX_DECLARE_REDUCTION(all)
VMLX_DECLARE_REDUCTION(any)
VMLX_DECLARE_REDUCTION(logsumexp)
#undef VMLX_DECLARE_REDUCTION
VMLX_API int mlx_argmax(mlx_array* res, const mlx_array a, bool keepdims, const mlx_stream s);
VMLX_API int mlx_argmax_axis(mlx_array* res, const mlx_array a, int axis, bool keepdims, const mlx_stream s);
VMLX_API int mlx_argmin(mlx_array* res, const mlx_array a, bool keepdims, const mlx_stream s);
VMLX_API int mlx_argmin_axis(mlx_array* res, const mlx_array a, int axis, bool keepdims, const mlx_stream s);
VMLX_API int mlx_softmax_axes(mlx_array* res, const mlx_array a, const int* axes, size_t axes_num, bool precise,
                              const mlx_stream s);
VMLX_API int mlx_cumsum(mlx_array* res, const mlx_array a, int axis, bool reverse, bool inclusive, const mlx_stream s);
VMLX_API int mlx_sort_axis(mlx_array* res, const mlx_array a, int axis, const mlx_stream s);
VMLX_API int mlx_argsort_axis(mlx_array* res, const mlx_array a, int axis, const mlx_stream s);
VMLX_API int mlx_partition_axis(mlx_array* res, const mlx_array a, int kth, int axis, const mlx_stream s);
VMLX_API int mlx_argpartition_axis(mlx_array* res, const mlx_array a, int kth, int axis, const mlx_stream s);
VMLX_API int mlx_topk_axis(mlx_array* res, const mlx_array a, int k, int axis, const mlx_stream s);

/* ---- shapes and indexing (ops_core_shape.cpp, ops_core_index.cpp) ---- */
VMLX_API int mlx_reshape(mlx_array* res, const mlx_array a, const int* shape, size_t shape_num, const mlx_stream s);
VMLX_API int mlx_transpose(mlx_array* res, const mlx_array a, const mlx_stream s);
VMLX_API int mlx_transpose_axes(mlx_array* res, const mlx_array a, const int* axes, size_t axes_num,
                                const mlx_stream s);
VMLX_API int mlx_swapaxes(mlx_array* res, const mlx_array a, int axis1, int axis2, const mlx_stream s);
VMLX_API int mlx_expand_dims_axes(mlx_array* res, const mlx_array a, const int* axes, size_t axes_num,
                                  const mlx_stream s);
VMLX_API int mlx_squeeze(mlx_array* res, const mlx_array a, const mlx_stream s);
VMLX_API int mlx_squeeze_axes(mlx_array* res, const mlx_array a, const int* axes, size_t axes_num,
                              const mlx_stream s);
VMLX_API int mlx_broadcast_to(mlx_array* res, const mlx_array a, const int* shape, size_t shape_num,
                              const mlx_stream s);
VMLX_API int mlx_flatten(mlx_array* res, const mlx_array a, int start_axis, int end_axis, const mlx_stream s);
VMLX_API int mlx_concatenate_axis(mlx_array* res, const mlx_vector_array arrays, int axis, const mlx_stream s);
VMLX_API int mlx_stack_axis(mlx_array* res, const mlx_vector_array arrays, int axis, const mlx_stream s);
/* Pointer-array variants of concatenate and stack: one call instead of building a vector. */
VMLX_API int vmlx_concatenate_n(mlx_array* res, const mlx_array* arrays, size_t num, int axis, const mlx_stream s);
VMLX_API int vmlx_stack_n(mlx_array* res, const mlx_array* arrays, size_t num, int axis, const mlx_stream s);
VMLX_API int mlx_split(mlx_vector_array* res, const mlx_array a, int num_splits, int axis, const mlx_stream s);
VMLX_API int mlx_split_sections(mlx_vector_array* res, const mlx_array a, const int* indices, size_t indices_num,
                                int axis, const mlx_stream s);
VMLX_API int mlx_repeat_axis(mlx_array* res, const mlx_array arr, int repeats, int axis, const mlx_stream s);
VMLX_API int mlx_repeat(mlx_array* res, const mlx_array arr, int repeats, const mlx_stream s);
VMLX_API int mlx_pad(mlx_array* res, const mlx_array a, const int* axes, size_t axes_num, const int* low_pad_size,
                     size_t low_pad_size_num, const int* high_pad_size, size_t high_pad_size_num,
                     const mlx_array pad_value, const char* mode, const mlx_stream s);

VMLX_API int mlx_slice(mlx_array* res, const mlx_array a, const int* start, size_t start_num, const int* stop,
                       size_t stop_num, const int* strides, size_t strides_num, const mlx_stream s);
VMLX_API int mlx_slice_update(mlx_array* res, const mlx_array src, const mlx_array update, const int* start,
                              size_t start_num, const int* stop, size_t stop_num, const int* strides,
                              size_t strides_num, const mlx_stream s);
VMLX_API int mlx_take(mlx_array* res, const mlx_array a, const mlx_array indices, const mlx_stream s);
VMLX_API int mlx_take_axis(mlx_array* res, const mlx_array a, const mlx_array indices, int axis, const mlx_stream s);
VMLX_API int mlx_take_along_axis(mlx_array* res, const mlx_array a, const mlx_array indices, int axis,
                                 const mlx_stream s);
VMLX_API int mlx_put_along_axis(mlx_array* res, const mlx_array a, const mlx_array indices, const mlx_array values,
                                int axis, const mlx_stream s);

/* ---- random (ops_core_random.cpp) ---- */
VMLX_API int mlx_random_key(mlx_array* res, uint64_t seed);
VMLX_API int mlx_random_seed(uint64_t seed);
VMLX_API int mlx_random_split_num(mlx_array* res, const mlx_array key, int num, const mlx_stream s);
VMLX_API int mlx_random_categorical(mlx_array* res, const mlx_array logits, int axis, const mlx_array key,
                                    const mlx_stream s);
VMLX_API int mlx_random_categorical_num_samples(mlx_array* res, const mlx_array logits, int axis, int num_samples,
                                                const mlx_array key, const mlx_stream s);
VMLX_API int mlx_random_uniform(mlx_array* res, const mlx_array low, const mlx_array high, const int* shape,
                                size_t shape_num, mlx_dtype dtype, const mlx_array key, const mlx_stream s);
VMLX_API int mlx_random_normal(mlx_array* res, const int* shape, size_t shape_num, mlx_dtype dtype, float loc,
                               float scale, const mlx_array key, const mlx_stream s);
VMLX_API int mlx_random_bernoulli(mlx_array* res, const mlx_array p, const int* shape, size_t shape_num,
                                  const mlx_array key, const mlx_stream s);

#ifdef __cplusplus
}
#endif
#endif
