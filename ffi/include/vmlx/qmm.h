/* Affine quantized matmul and attention with vmlx's CPU kernels (vmlx extension). */
#ifndef VMLX_QMM_H
#define VMLX_QMM_H
#ifdef __cplusplus
extern "C" {
#endif

/* mlx_quantized_matmul's arguments and result, plus `path`:
 *   "mlx":    MLX's own op;
 *   "kernel": vmlx's vectorized, multi-threaded CPU kernel (an error where it does not apply);
 *   "auto":   the kernel on a CPU stream for affine x @ W^T (transpose), bits 4 or 8, group 32, 64 or 128, a 2-D w,
 *             float32/float16/bfloat16 (NULL means "auto"); MLX's op for everything else.
 * The kernel accumulates in float32; its result matches MLX's to float32 rounding (summation order differs). */
VMLX_API int vmlx_quantized_matmul(mlx_array* res, const mlx_array x, const mlx_array w, const mlx_array scales,
                                   const mlx_array biases /* may be null */, bool transpose,
                                   mlx_optional_int group_size, mlx_optional_int bits, const char* mode,
                                   const char* path, const mlx_stream s);

/* The instruction set the CPU kernel runs: "avx2" or "scalar" (a static string; cannot fail). */
VMLX_API const char* vmlx_qmm_cpu_isa(void);
/* Forces the CPU kernel's instruction set: "scalar", "avx2" (an error on a CPU without AVX2 + FMA + F16C) or
 * "auto" (the best this CPU has). Process-wide; VMLX_QMM_ISA=scalar in the environment sets "scalar" at start. */
VMLX_API int vmlx_qmm_cpu_set_isa(const char* isa);

/* mlx_fast_scaled_dot_product_attention's arguments and result, plus `path` ("auto" when NULL):
 *   "mlx":    MLX's fused op;
 *   "kernel": vmlx's float32 CPU kernel (an error where it does not apply);
 *   "auto":   the kernel on a CPU stream for float32 [B, H, L, D] queries over [B, Hkv, S, D] keys and values with no
 *             mask array and no sinks, mask_mode "" or "causal" (queries at the last L key positions); MLX's op else.
 * MLX's CPU fallback multiplies through its wheel's BLAS (the reference netlib BLAS on Linux). */
VMLX_API int vmlx_scaled_dot_product_attention(mlx_array* res, const mlx_array queries, const mlx_array keys,
                                               const mlx_array values, float scale, const char* mask_mode,
                                               const mlx_array mask_arr /* may be null */,
                                               const mlx_array sinks /* may be null */, const char* path,
                                               const mlx_stream s);

#ifdef __cplusplus
}
#endif
#endif
