/* Memory stats and limits, device info. */
#ifndef VMLX_MEMORY_H
#define VMLX_MEMORY_H
#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif
#endif
