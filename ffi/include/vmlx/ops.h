/* vmlx ops: mlx-c names and signatures (out-parameter first, stream last, int status). */
#ifndef VMLX_OPS_H
#define VMLX_OPS_H

#ifdef __cplusplus
extern "C" {
#endif

/* mlx-c's optional scalars: 8 bytes, passed by value (bun:ffi passes them as u64). */
typedef struct mlx_optional_int_ { int value; bool has_value; } mlx_optional_int;
typedef struct mlx_optional_float_ { float value; bool has_value; } mlx_optional_float;

/* ---- arithmetic ---- */
VMLX_API int mlx_add(mlx_array* res, const mlx_array a, const mlx_array b, const mlx_stream s);
VMLX_API int mlx_matmul(mlx_array* res, const mlx_array a, const mlx_array b, const mlx_stream s);

#ifdef __cplusplus
}
#endif
#endif
