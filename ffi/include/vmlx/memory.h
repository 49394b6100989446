/* Memory stats and limits, device info. mlx-c names; sizes in bytes. */
#ifndef VMLX_MEMORY_H
#define VMLX_MEMORY_H
#ifdef __cplusplus
extern "C" {
#endif

VMLX_API int mlx_get_active_memory(size_t* res);
VMLX_API int mlx_get_peak_memory(size_t* res);
VMLX_API int mlx_get_cache_memory(size_t* res);
VMLX_API int mlx_get_memory_limit(size_t* res);
VMLX_API int mlx_reset_peak_memory(void);
/* Each setter stores the previous limit in `res`. */
VMLX_API int mlx_set_cache_limit(size_t* res, size_t limit);
VMLX_API int mlx_set_memory_limit(size_t* res, size_t limit);
VMLX_API int mlx_set_wired_limit(size_t* res, size_t limit);
VMLX_API int mlx_clear_cache(void);

/* MLX's device_info map for a device, as a JSON object ({"device_name": "...", "memory_size": 123, ...}).
 * Keys vary by backend. `*res` stays valid until this thread's next call. */
VMLX_API int vmlx_device_info_json(const char** res, mlx_device_type type, int index);

#ifdef __cplusplus
}
#endif
#endif
