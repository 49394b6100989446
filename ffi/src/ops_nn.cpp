// Matmul, quantization and gathered matmuls.
#include "ops_nn_util.h"

using namespace vmlx;

extern "C" {

int mlx_matmul(mlx_array* res, const mlx_array a, const mlx_array b, const mlx_stream s) {
  VMLX_TRY(assign(res, mx::matmul(arr(a), arr(b), stream(s))))
}

int mlx_addmm(mlx_array* res, const mlx_array c, const mlx_array a, const mlx_array b, float alpha, float beta,
              const mlx_stream s) {
  VMLX_TRY(assign(res, mx::addmm(arr(c), arr(a), arr(b), alpha, beta, stream(s))))
}

int mlx_gather_mm(mlx_array* res, const mlx_array a, const mlx_array b, const mlx_array lhs_indices,
                  const mlx_array rhs_indices, bool sorted_indices, const mlx_stream s) {
  VMLX_TRY(assign(res, mx::gather_mm(arr(a), arr(b), opt_arr(lhs_indices), opt_arr(rhs_indices), sorted_indices,
                                     stream(s))))
}

int mlx_quantize(mlx_vector_array* res, const mlx_array w, mlx_optional_int group_size, mlx_optional_int bits,
                 const char* mode, const mlx_array global_scale, const mlx_stream s) {
  VMLX_TRY(assign_vector(res, mx::quantize(arr(w), opt_int(group_size), opt_int(bits), str_or(mode, "affine"),
                                           opt_arr(global_scale), stream(s))))
}

int mlx_dequantize(mlx_array* res, const mlx_array w, const mlx_array scales, const mlx_array biases,
                   mlx_optional_int group_size, mlx_optional_int bits, const char* mode, const mlx_array global_scale,
                   mlx_optional_dtype dtype, const mlx_stream s) {
  VMLX_TRY(assign(res, mx::dequantize(arr(w), arr(scales), opt_arr(biases), opt_int(group_size), opt_int(bits),
                                      str_or(mode, "affine"), opt_arr(global_scale), opt_dtype(dtype), stream(s))))
}

int mlx_quantized_matmul(mlx_array* res, const mlx_array x, const mlx_array w, const mlx_array scales,
                         const mlx_array biases, bool transpose, mlx_optional_int group_size, mlx_optional_int bits,
                         const char* mode, const mlx_stream s) {
  VMLX_TRY(assign(res, mx::quantized_matmul(arr(x), arr(w), arr(scales), opt_arr(biases), transpose,
                                            opt_int(group_size), opt_int(bits), str_or(mode, "affine"), stream(s))))
}

int mlx_gather_qmm(mlx_array* res, const mlx_array x, const mlx_array w, const mlx_array scales,
                   const mlx_array biases, const mlx_array lhs_indices, const mlx_array rhs_indices, bool transpose,
                   mlx_optional_int group_size, mlx_optional_int bits, const char* mode, bool sorted_indices,
                   const mlx_stream s) {
  VMLX_TRY(assign(res, mx::gather_qmm(arr(x), arr(w), arr(scales), opt_arr(biases), opt_arr(lhs_indices),
                                      opt_arr(rhs_indices), transpose, opt_int(group_size), opt_int(bits),
                                      str_or(mode, "affine"), std::nullopt, sorted_indices, stream(s))))
}

}  // extern "C"
