/* Safetensors and GGUF. */
#ifndef VMLX_IO_H
#define VMLX_IO_H
#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif
#endif
