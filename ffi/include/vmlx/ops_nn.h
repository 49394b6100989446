/* Matmul, quantization, gather, fast.* and compiled kernels. mlx-c names and argument order; an array
 * argument marked "may be null" is an mlx_array whose ctx is NULL. */
#ifndef VMLX_OPS_NN_H
#define VMLX_OPS_NN_H
#ifdef __cplusplus
extern "C" {
#endif

#ifndef VMLX_OPTIONAL_DTYPE_DEFINED
#define VMLX_OPTIONAL_DTYPE_DEFINED
/* mlx-c's optional dtype: 8 bytes, passed by value like mlx_optional_int. */
typedef struct mlx_optional_dtype_ { mlx_dtype value; bool has_value; } mlx_optional_dtype;
#endif

/* ---- matmul ---- */
VMLX_API int mlx_matmul(mlx_array* res, const mlx_array a, const mlx_array b, const mlx_stream s);
/* beta * c + alpha * (a @ b) */
VMLX_API int mlx_addmm(mlx_array* res, const mlx_array c, const mlx_array a, const mlx_array b, float alpha,
                       float beta, const mlx_stream s);
VMLX_API int mlx_gather_mm(mlx_array* res, const mlx_array a, const mlx_array b,
                           const mlx_array lhs_indices /* may be null */,
                           const mlx_array rhs_indices /* may be null */, bool sorted_indices,
                           const mlx_stream s);

/* ---- quantization ---- */
/* res: a new vector [wq, scales] or [wq, scales, biases] (affine mode). */
VMLX_API int mlx_quantize(mlx_vector_array* res, const mlx_array w, mlx_optional_int group_size,
                          mlx_optional_int bits, const char* mode,
                          const mlx_array global_scale /* may be null */, const mlx_stream s);
VMLX_API int mlx_dequantize(mlx_array* res, const mlx_array w, const mlx_array scales,
                            const mlx_array biases /* may be null */, mlx_optional_int group_size,
                            mlx_optional_int bits, const char* mode,
                            const mlx_array global_scale /* may be null */, mlx_optional_dtype dtype,
                            const mlx_stream s);
VMLX_API int mlx_quantized_matmul(mlx_array* res, const mlx_array x, const mlx_array w, const mlx_array scales,
                                  const mlx_array biases /* may be null */, bool transpose,
                                  mlx_optional_int group_size, mlx_optional_int bits, const char* mode,
                                  const mlx_stream s);
VMLX_API int mlx_gather_qmm(mlx_array* res, const mlx_array x, const mlx_array w, const mlx_array scales,
                            const mlx_array biases /* may be null */,
                            const mlx_array lhs_indices /* may be null */,
                            const mlx_array rhs_indices /* may be null */, bool transpose,
                            mlx_optional_int group_size, mlx_optional_int bits, const char* mode,
                            bool sorted_indices, const mlx_stream s);

/* ---- fast ---- */
VMLX_API int mlx_fast_rms_norm(mlx_array* res, const mlx_array x, const mlx_array weight /* may be null */,
                               float eps, const mlx_stream s);
VMLX_API int mlx_fast_layer_norm(mlx_array* res, const mlx_array x, const mlx_array weight /* may be null */,
                                 const mlx_array bias /* may be null */, float eps, const mlx_stream s);
VMLX_API int mlx_fast_rope(mlx_array* res, const mlx_array x, int dims, bool traditional, mlx_optional_float base,
                           float scale, int offset, const mlx_array freqs /* may be null */, const mlx_stream s);
/* `offset`: an int32 scalar, or one offset per batch row. */
VMLX_API int mlx_fast_rope_dynamic(mlx_array* res, const mlx_array x, int dims, bool traditional,
                                   mlx_optional_float base, float scale, const mlx_array offset,
                                   const mlx_array freqs /* may be null */, const mlx_stream s);
/* mask_mode: "" (none, or mask_arr), "causal" or "array". */
VMLX_API int mlx_fast_scaled_dot_product_attention(mlx_array* res, const mlx_array queries, const mlx_array keys,
                                                   const mlx_array values, float scale, const char* mask_mode,
                                                   const mlx_array mask_arr /* may be null */,
                                                   const mlx_array sinks /* may be null */, const mlx_stream s);

/* ---- compiled kernels (vmlx extension; shapeless mx::compile) ---- */
/* silu(gate) * up */
VMLX_API int vmlx_swiglu(mlx_array* res, const mlx_array gate, const mlx_array up, const mlx_stream s);
/* 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3))) */
VMLX_API int vmlx_gelu_approx(mlx_array* res, const mlx_array x, const mlx_stream s);
/* Grammar masks: where(allowed, astype(logits, dtype), -inf) for logits [B, V] and a host bitmask of `rows` x
 * `words` int32 (words = ceil(V / 32); bit j of word w allows token 32w + j; the data is copied before the call
 * returns); `dtype` is floating. The bit test, conversion and select are one compiled kernel
 * (ffi/src/token_bitmask.cpp). */
VMLX_API int vmlx_apply_token_bitmask(mlx_array* res, const mlx_array logits, const int32_t* bitmask, int rows,
                                      int words, mlx_dtype dtype, const mlx_stream s);
VMLX_API int mlx_enable_compile(void);
VMLX_API int mlx_disable_compile(void);

#ifdef __cplusplus
}
#endif
#endif
