/** Symbols of ffi/src/ops_core*.cpp, plus the vector-of-arrays accessors (array.cpp) that split needs. */
import { FFIType } from "bun:ffi";
import { BINARY, fn, UNARY } from "./signature.ts";

// (res*, a, keepdims, s) and (res*, a, axes*, axes_num, keepdims, s)
const REDUCE_ALL = fn(["ptr", "ptr", "bool", "ptr"], "i32");
const REDUCE_AXES = fn(["ptr", "ptr", "ptr", "u64", "bool", "ptr"], "i32");
// (res*, a, axis, s), (res*, a, int, int, s), (res*, a, axis, keepdims, s)
const AXIS = fn(["ptr", "ptr", "i32", "ptr"], "i32");
const INT_AXIS = fn(["ptr", "ptr", "i32", "i32", "ptr"], "i32");
const AXIS_KEEPDIMS = fn(["ptr", "ptr", "i32", "bool", "ptr"], "i32");
// (res*, a, ints*, num, s) and (res*, shape*, num, dtype, s)
const INTS = fn(["ptr", "ptr", "ptr", "u64", "ptr"], "i32");
const SHAPE_DTYPE = fn(["ptr", "ptr", "u64", "i32", "ptr"], "i32");
// (res*, a, b, axis, s)
const BINARY_AXIS = fn(["ptr", "ptr", "ptr", "i32", "ptr"], "i32");

export const CORE_SYMBOLS = {
  // creation
  mlx_zeros: SHAPE_DTYPE,
  mlx_ones: SHAPE_DTYPE,
  mlx_full: fn(["ptr", "ptr", "u64", "ptr", "i32", "ptr"], "i32"),
  vmlx_full_scalar: fn(["ptr", "ptr", "u64", "f64", "i32", "ptr"], "i32"),
  vmlx_scalar_like: fn(["ptr", "f64", "ptr"], "i32"),
  mlx_arange: fn(["ptr", "f64", "f64", "f64", "i32", "ptr"], "i32"),
  mlx_astype: AXIS,
  mlx_contiguous: fn(["ptr", "ptr", "bool", "ptr"], "i32"),
  mlx_tril: AXIS,
  mlx_triu: AXIS,

  // elementwise
  mlx_add: BINARY,
  mlx_subtract: BINARY,
  mlx_multiply: BINARY,
  mlx_divide: BINARY,
  mlx_maximum: BINARY,
  mlx_minimum: BINARY,
  mlx_power: BINARY,
  mlx_remainder: BINARY,
  mlx_equal: BINARY,
  mlx_not_equal: BINARY,
  mlx_greater: BINARY,
  mlx_greater_equal: BINARY,
  mlx_less: BINARY,
  mlx_less_equal: BINARY,
  mlx_logical_and: BINARY,
  mlx_logical_or: BINARY,
  vmlx_binary_scalar: fn(["ptr", "i32", "ptr", "f64", "bool", "ptr"], "i32"),
  mlx_where: fn(["ptr", "ptr", "ptr", "ptr", "ptr"], "i32"),
  mlx_negative: UNARY,
  mlx_abs: UNARY,
  mlx_sign: UNARY,
  mlx_exp: UNARY,
  mlx_log: UNARY,
  mlx_log1p: UNARY,
  mlx_sqrt: UNARY,
  mlx_rsqrt: UNARY,
  mlx_square: UNARY,
  mlx_reciprocal: UNARY,
  mlx_sin: UNARY,
  mlx_cos: UNARY,
  mlx_tanh: UNARY,
  mlx_sigmoid: UNARY,
  mlx_erf: UNARY,
  mlx_logical_not: UNARY,
  mlx_floor: UNARY,
  mlx_ceil: UNARY,
  mlx_isnan: UNARY,
  mlx_isinf: UNARY,
  mlx_stop_gradient: UNARY,
  mlx_round: AXIS,

  // reductions, scans, sorting
  mlx_sum: REDUCE_ALL,
  mlx_sum_axes: REDUCE_AXES,
  mlx_mean: REDUCE_ALL,
  mlx_mean_axes: REDUCE_AXES,
  mlx_max: REDUCE_ALL,
  mlx_max_axes: REDUCE_AXES,
  mlx_min: REDUCE_ALL,
  mlx_min_axes: REDUCE_AXES,
  mlx_prod: REDUCE_ALL,
  mlx_prod_axes: REDUCE_AXES,
  mlx_all: REDUCE_ALL,
  mlx_all_axes: REDUCE_AXES,
  mlx_any: REDUCE_ALL,
  mlx_any_axes: REDUCE_AXES,
  mlx_logsumexp: REDUCE_ALL,
  mlx_logsumexp_axes: REDUCE_AXES,
  mlx_argmax: REDUCE_ALL,
  mlx_argmax_axis: AXIS_KEEPDIMS,
  mlx_argmin: REDUCE_ALL,
  mlx_argmin_axis: AXIS_KEEPDIMS,
  mlx_softmax_axes: REDUCE_AXES,
  mlx_cumsum: fn(["ptr", "ptr", "i32", "bool", "bool", "ptr"], "i32"),
  mlx_sort_axis: AXIS,
  mlx_argsort_axis: AXIS,
  mlx_partition_axis: INT_AXIS,
  mlx_argpartition_axis: INT_AXIS,
  mlx_topk_axis: INT_AXIS,

  // shapes
  mlx_reshape: INTS,
  mlx_transpose: UNARY,
  mlx_transpose_axes: INTS,
  mlx_swapaxes: INT_AXIS,
  mlx_expand_dims_axes: INTS,
  mlx_squeeze: UNARY,
  mlx_squeeze_axes: INTS,
  mlx_broadcast_to: INTS,
  mlx_flatten: INT_AXIS,
  vmlx_concatenate_n: fn(["ptr", "ptr", "u64", "i32", "ptr"], "i32"),
  vmlx_stack_n: fn(["ptr", "ptr", "u64", "i32", "ptr"], "i32"),
  mlx_split: INT_AXIS,
  mlx_split_sections: fn(["ptr", "ptr", "ptr", "u64", "i32", "ptr"], "i32"),
  mlx_repeat_axis: INT_AXIS,
  mlx_repeat: AXIS,
  mlx_pad: fn(["ptr", "ptr", "ptr", "u64", "ptr", "u64", "ptr", "u64", "ptr", "ptr", "ptr"], "i32"),
  mlx_vector_array_free: fn(["ptr"], "i32"),
  mlx_vector_array_size: fn(["ptr"], FFIType.u64_fast),
  mlx_vector_array_get: fn(["ptr", "ptr", "u64"], "i32"),

  // indexing
  mlx_slice: fn(["ptr", "ptr", "ptr", "u64", "ptr", "u64", "ptr", "u64", "ptr"], "i32"),
  mlx_slice_update: fn(["ptr", "ptr", "ptr", "ptr", "u64", "ptr", "u64", "ptr", "u64", "ptr"], "i32"),
  mlx_take: BINARY,
  mlx_take_axis: BINARY_AXIS,
  mlx_take_along_axis: BINARY_AXIS,
  mlx_put_along_axis: fn(["ptr", "ptr", "ptr", "ptr", "i32", "ptr"], "i32"),

  // random
  mlx_random_key: fn(["ptr", "u64"], "i32"),
  mlx_random_seed: fn(["u64"], "i32"),
  mlx_random_split_num: AXIS,
  mlx_random_categorical: fn(["ptr", "ptr", "i32", "ptr", "ptr"], "i32"),
  mlx_random_categorical_num_samples: fn(["ptr", "ptr", "i32", "i32", "ptr", "ptr"], "i32"),
  mlx_random_uniform: fn(["ptr", "ptr", "ptr", "ptr", "u64", "i32", "ptr", "ptr"], "i32"),
  mlx_random_normal: fn(["ptr", "ptr", "u64", "i32", "f32", "f32", "ptr", "ptr"], "i32"),
  mlx_random_bernoulli: fn(["ptr", "ptr", "ptr", "u64", "ptr", "ptr"], "i32"),
} as const;
