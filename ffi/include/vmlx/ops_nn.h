/* Matmul, quantization, gather, fast.* and compiled kernels. */
#ifndef VMLX_OPS_NN_H
#define VMLX_OPS_NN_H
#ifdef __cplusplus
extern "C" {
#endif

VMLX_API int mlx_matmul(mlx_array* res, const mlx_array a, const mlx_array b, const mlx_stream s);

#ifdef __cplusplus
}
#endif
#endif
