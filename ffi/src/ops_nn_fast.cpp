// mlx::core::fast: norms, RoPE and scaled dot-product attention (RMSNorm and RoPE through vmlx's CPU primitives where
// they serve, norm_rope_cpu.cpp).
#include "fused_ops.h"
#include "ops_nn_util.h"

using namespace vmlx;

extern "C" {

int mlx_fast_rms_norm(mlx_array* res, const mlx_array x, const mlx_array weight, float eps, const mlx_stream s) {
  VMLX_TRY(assign(res, vmlx::rms_norm(arr(x), opt_arr(weight), eps, stream(s))))
}

int mlx_fast_layer_norm(mlx_array* res, const mlx_array x, const mlx_array weight, const mlx_array bias, float eps,
                        const mlx_stream s) {
  VMLX_TRY(assign(res, mx::fast::layer_norm(arr(x), opt_arr(weight), opt_arr(bias), eps, stream(s))))
}

int mlx_fast_rope(mlx_array* res, const mlx_array x, int dims, bool traditional, mlx_optional_float base,
                  float scale, int offset, const mlx_array freqs, const mlx_stream s) {
  VMLX_TRY(assign(res, vmlx::rope(arr(x), dims, traditional, opt_float(base), scale, offset, opt_arr(freqs),
                                  stream(s))))
}

int mlx_fast_rope_dynamic(mlx_array* res, const mlx_array x, int dims, bool traditional, mlx_optional_float base,
                          float scale, const mlx_array offset, const mlx_array freqs, const mlx_stream s) {
  VMLX_TRY(assign(res, vmlx::rope(arr(x), dims, traditional, opt_float(base), scale, arr(offset), opt_arr(freqs),
                                  stream(s))))
}

int mlx_fast_scaled_dot_product_attention(mlx_array* res, const mlx_array queries, const mlx_array keys,
                                          const mlx_array values, float scale, const char* mask_mode,
                                          const mlx_array mask_arr, const mlx_array sinks, const mlx_stream s) {
  VMLX_TRY(assign(res, mx::fast::scaled_dot_product_attention(arr(queries), arr(keys), arr(values), scale,
                                                              str_or(mask_mode, ""), opt_arr(mask_arr),
                                                              opt_arr(sinks), false, stream(s))))
}

}  // extern "C"
