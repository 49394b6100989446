/* vmlx ops: mlx-c names and signatures (out-parameter first, stream last, int status). */
#ifndef VMLX_OPS_H
#define VMLX_OPS_H

#ifdef __cplusplus
extern "C" {
#endif

/* mlx-c's optional scalars: 8 bytes, passed by value (bun:ffi passes them as u64). */
typedef struct mlx_optional_int_ { int value; bool has_value; } mlx_optional_int;
typedef struct mlx_optional_float_ { float value; bool has_value; } mlx_optional_float;

#ifdef __cplusplus
}
#endif

#include "vmlx/ops_core.h"   /* elementwise, reductions, shapes, creation, sorting, random */
#include "vmlx/ops_nn.h"     /* matmul, quantization, gather, fast.*, compiled kernels */
#include "vmlx/io.h"         /* safetensors, gguf */
#include "vmlx/memory.h"     /* memory stats and limits, device info */
#include "vmlx/paged.h"      /* paged attention over block tables */
#include "vmlx/qmm.h"        /* quantized matmul with the CPU kernel */
#include "vmlx/fused.h"      /* fused per-layer helpers: linear, gated MLP, attention projections */

#endif
