// The float dtypes vmlx's CPU kernels read and write (qmm_cpu.h, attention_cpu_tile.h), without MLX's headers; the
// mapping from MLX's dtypes is cpu_dtype() in plain_input.h.
#pragma once

namespace vmlx {
enum class CpuDtype { f32, f16, bf16 };
}  // namespace vmlx
