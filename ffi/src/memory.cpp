// Memory stats and limits, device info.
#include <string>
#include <variant>

#include "common.h"
#include "io_json.h"
#if defined(VMLX_WITH_CUDA)
#include "cuda/buffers.h"
#endif

using namespace vmlx;

namespace {
std::string device_info_json(const mx::Device& d) {
  std::string out = "{";
  bool first = true;
  for (const auto& [key, value] : mx::device_info(d)) {
    if (!first) out += ',';
    first = false;
    json_string(out, key);
    out += ':';
    if (const auto* s = std::get_if<std::string>(&value)) {
      json_string(out, *s);
    } else {
      out += std::to_string(std::get<size_t>(value));
    }
  }
  out += '}';
  return out;
}
}  // namespace

extern "C" {

int mlx_get_active_memory(size_t* res) { VMLX_TRY(*res = mx::get_active_memory()) }
int mlx_get_peak_memory(size_t* res) { VMLX_TRY(*res = mx::get_peak_memory()) }
int mlx_get_cache_memory(size_t* res) { VMLX_TRY(*res = mx::get_cache_memory()) }
int mlx_get_memory_limit(size_t* res) { VMLX_TRY(*res = mx::get_memory_limit()) }
int mlx_reset_peak_memory(void) { VMLX_TRY(mx::reset_peak_memory()) }
int mlx_set_cache_limit(size_t* res, size_t limit) { VMLX_TRY(*res = mx::set_cache_limit(limit)) }
int mlx_set_memory_limit(size_t* res, size_t limit) { VMLX_TRY(*res = mx::set_memory_limit(limit)) }
int mlx_set_wired_limit(size_t* res, size_t limit) { VMLX_TRY(*res = mx::set_wired_limit(limit)) }
int mlx_clear_cache(void) {
  VMLX_TRY({
    mx::clear_cache();
#if defined(VMLX_WITH_CUDA)
    cuda::buffers::release_cached();  // our kernels' kept outputs (ffi/src/cuda/buffers.h)
#endif
  })
}

int vmlx_device_info_json(const char** res, mlx_device_type type, int index) {
  static thread_local std::string buffer;
  VMLX_TRY({
    auto t = type == MLX_GPU ? mx::Device::gpu : mx::Device::cpu;
    buffer = device_info_json(mx::Device(t, index));
    *res = buffer.c_str();
  })
}

}  // extern "C"
