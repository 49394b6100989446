/* Safetensors and GGUF (vmlx extensions: names travel as one buffer of '\0'-terminated strings beside an
 * mlx_vector_array in the same order, metadata as one JSON object, instead of mlx-c's maps). */
#ifndef VMLX_IO_H
#define VMLX_IO_H
#ifdef __cplusplus
extern "C" {
#endif

/* An owned byte buffer returned by the library. */
typedef struct vmlx_buffer_ { void* ctx; } vmlx_buffer;
VMLX_API const void* vmlx_buffer_data(const vmlx_buffer buf);
VMLX_API size_t vmlx_buffer_size(const vmlx_buffer buf);
VMLX_API int vmlx_buffer_free(vmlx_buffer buf);

/* Loads every tensor of a .safetensors file; data is read lazily, on first evaluation.
 * arrays: a new vector; names: a new buffer with one '\0'-terminated name per array, in order;
 * metadata: a new buffer holding the header's "__metadata__" as a JSON object of strings. */
VMLX_API int vmlx_load_safetensors(mlx_vector_array* arrays, vmlx_buffer* names, vmlx_buffer* metadata,
                                   const char* file, const mlx_stream s);
/* names: one '\0'-terminated name per array. metadata: n_metadata key/value pairs, each string
 * '\0'-terminated (key, value, key, value, ...). Evaluates the arrays. */
VMLX_API int vmlx_save_safetensors(const char* file, const mlx_vector_array arrays, const char* names,
                                   const char* metadata, size_t n_metadata);

/* Loads a .gguf file (quantized Q4_0/Q4_1/Q8_0 tensors become MLX affine triplets named
 * "<name>.weight", "<name>.scales", "<name>.biases"). metadata: a JSON object whose values are strings,
 * numbers, booleans, arrays of those, or null for types MLX does not read. */
VMLX_API int vmlx_load_gguf(mlx_vector_array* arrays, vmlx_buffer* names, vmlx_buffer* metadata,
                            const char* file, const mlx_stream s);
/* meta_arrays / meta_array_keys: numeric metadata (0-d for a scalar, 1-d for a list; the dtype picks the
 * GGUF type), keys '\0'-terminated, one per array.
 * meta_strings: string metadata as records in native byte order:
 *   u32 key_len, key bytes, u32 count (0xFFFFFFFF: one string, else a list of count strings),
 *   then each string as u32 len, bytes. */
VMLX_API int vmlx_save_gguf(const char* file, const mlx_vector_array arrays, const char* names,
                            const mlx_vector_array meta_arrays, const char* meta_array_keys,
                            const void* meta_strings, size_t meta_strings_len);

#ifdef __cplusplus
}
#endif
#endif
