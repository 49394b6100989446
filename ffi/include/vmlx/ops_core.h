/* Elementwise, reduction, shape, creation, sorting and random ops. */
#ifndef VMLX_OPS_CORE_H
#define VMLX_OPS_CORE_H
#ifdef __cplusplus
extern "C" {
#endif

VMLX_API int mlx_add(mlx_array* res, const mlx_array a, const mlx_array b, const mlx_stream s);

#ifdef __cplusplus
}
#endif
#endif
