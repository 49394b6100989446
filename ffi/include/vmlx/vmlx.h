/* vmlx: our C-ABI library over MLX C++.
 *
 * Conventions follow mlx-c so that official mlx-c can stand in for the parts it covers:
 *   - opaque handles `{ void* ctx }`, created by `*_new*()` and released by `*_free()`;
 *   - `int` status (0 = ok), out-parameter first, stream last;
 *   - the names of mlx-c (`mlx_add`, `mlx_fast_rms_norm`, ...).
 * Where the engine needs more than mlx-c offers, symbols carry the `vmlx_` prefix.
 * Unlike mlx-c, nothing here ever calls exit(): a failing call returns non-zero (or a null handle for
 * constructors that return a handle) and `vmlx_last_error()` gives MLX's message, per thread.
 */
#ifndef VMLX_H
#define VMLX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VMLX_API __attribute__((visibility("default")))

typedef enum mlx_dtype_ {
  MLX_BOOL,
  MLX_UINT8,
  MLX_UINT16,
  MLX_UINT32,
  MLX_UINT64,
  MLX_INT8,
  MLX_INT16,
  MLX_INT32,
  MLX_INT64,
  MLX_FLOAT16,
  MLX_FLOAT32,
  MLX_FLOAT64,
  MLX_BFLOAT16,
  MLX_COMPLEX64,
} mlx_dtype;

typedef enum mlx_device_type_ { MLX_CPU, MLX_GPU } mlx_device_type;

typedef struct mlx_array_ { void* ctx; } mlx_array;
typedef struct mlx_stream_ { void* ctx; } mlx_stream;
typedef struct mlx_device_ { void* ctx; } mlx_device;
typedef struct mlx_vector_array_ { void* ctx; } mlx_vector_array;

/* ---- errors (vmlx extension) ---- */
VMLX_API const char* vmlx_last_error(void);
VMLX_API void vmlx_clear_error(void);
VMLX_API const char* vmlx_mlx_version(void);
VMLX_API const char* vmlx_backend(void); /* "cpu", "cuda" or "metal": what this library was built for */

/* ---- array ---- */
VMLX_API mlx_array mlx_array_new(void);
VMLX_API int mlx_array_free(mlx_array arr);
VMLX_API mlx_array mlx_array_new_data(const void* data, const int* shape, int dim, mlx_dtype dtype);
VMLX_API mlx_array mlx_array_new_float(float val);
VMLX_API mlx_array mlx_array_new_int(int val);
VMLX_API mlx_array mlx_array_new_bool(bool val);
VMLX_API int mlx_array_set(mlx_array* arr, const mlx_array src);
VMLX_API size_t mlx_array_ndim(const mlx_array arr);
VMLX_API const int* mlx_array_shape(const mlx_array arr);
/* Writes the first min(ndim, cap) dimensions into `out` and returns ndim: a shape in one call (vmlx extension). */
VMLX_API int vmlx_array_dims(const mlx_array arr, int* out, int cap);
VMLX_API int mlx_array_dim(const mlx_array arr, int dim);
VMLX_API size_t mlx_array_size(const mlx_array arr);
VMLX_API size_t mlx_array_nbytes(const mlx_array arr);
VMLX_API mlx_dtype mlx_array_dtype(const mlx_array arr);
VMLX_API int mlx_array_eval(mlx_array arr);
VMLX_API int mlx_array_item_float32(float* res, const mlx_array arr);
VMLX_API int mlx_array_item_int32(int32_t* res, const mlx_array arr);
VMLX_API int mlx_array_item_uint32(uint32_t* res, const mlx_array arr);
VMLX_API int mlx_array_item_bool(bool* res, const mlx_array arr);
/* Evaluates `arr` and copies its elements, row-major, into `dst` (exactly nbytes = size * itemsize). */
VMLX_API int vmlx_array_read(const mlx_array arr, void* dst, size_t nbytes);
/* Number of live array handles created by this library (leak checks). */
VMLX_API int64_t vmlx_live_arrays(void);
/* Zeroed native memory for long-lived argument slots: JS-heap buffers must not be handed to C by a cached address. */
VMLX_API void* vmlx_alloc(size_t nbytes);
VMLX_API void vmlx_free(void* p);

/* ---- vector of arrays ---- */
VMLX_API mlx_vector_array mlx_vector_array_new(void);
VMLX_API mlx_vector_array mlx_vector_array_new_data(const mlx_array* data, size_t size);
VMLX_API int mlx_vector_array_free(mlx_vector_array vec);
VMLX_API int mlx_vector_array_append_value(mlx_vector_array vec, const mlx_array val);
VMLX_API size_t mlx_vector_array_size(mlx_vector_array vec);
VMLX_API int mlx_vector_array_get(mlx_array* res, const mlx_vector_array vec, size_t idx);

/* ---- devices and streams ---- */
VMLX_API mlx_stream mlx_default_cpu_stream_new(void);
VMLX_API mlx_stream mlx_default_gpu_stream_new(void);
VMLX_API mlx_stream mlx_stream_new_device(mlx_device dev);
VMLX_API int mlx_stream_free(mlx_stream stream);
VMLX_API int mlx_stream_get_index(int* res, mlx_stream stream);
VMLX_API int mlx_stream_get_device(mlx_device* dev, mlx_stream stream);
VMLX_API int mlx_synchronize(mlx_stream stream);
VMLX_API mlx_device mlx_device_new(void);
VMLX_API mlx_device mlx_device_new_type(mlx_device_type type, int index);
VMLX_API int mlx_device_free(mlx_device dev);
VMLX_API int mlx_get_default_device(mlx_device* dev);
VMLX_API int mlx_set_default_device(mlx_device dev);
VMLX_API int mlx_device_get_type(mlx_device_type* type, mlx_device dev);
VMLX_API int vmlx_gpu_is_available(bool* res);

/* ---- evaluation ---- */
VMLX_API int mlx_eval(const mlx_vector_array outputs);
VMLX_API int mlx_async_eval(const mlx_vector_array outputs);
/* Pointer-array variants, one FFI call instead of building a vector. */
VMLX_API int vmlx_eval_n(const mlx_array* arrs, size_t n);
VMLX_API int vmlx_async_eval_n(const mlx_array* arrs, size_t n);
/* The primitives of the arrays' unevaluated graph, each counted once, as a JSON object {"Name": count, ...};
 * `*res` stays valid until this thread's next call. */
VMLX_API int vmlx_graph_primitives_json(const char** res, const mlx_array* arrs, size_t n);

#ifdef __cplusplus
}
#endif

#include "vmlx/ops.h"

#endif
