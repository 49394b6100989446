// Devices, streams and evaluation.
#include <mlx/primitives.h>

#include <map>
#include <string>
#include <unordered_set>

#include "common.h"
#include "io_json.h"

using namespace vmlx;

namespace {
mlx_stream wrap_stream(mx::Stream s) { return mlx_stream{new mx::Stream(s)}; }
mlx_device wrap_device(mx::Device d) { return mlx_device{new mx::Device(d)}; }

std::vector<mx::array> collect(const mlx_array* arrs, size_t n) {
  std::vector<mx::array> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) out.push_back(arr(arrs[i]));
  return out;
}

// Every primitive the arrays' unevaluated graph holds, once each (siblings share theirs), by name, as JSON.
std::string primitives_json(std::vector<mx::array> stack) {
  std::map<std::string, size_t> counts;
  std::unordered_set<std::uintptr_t> seen;
  while (!stack.empty()) {
    auto a = std::move(stack.back());
    stack.pop_back();
    if (!a.has_primitive() || a.is_available()) continue;
    if (!seen.insert(reinterpret_cast<std::uintptr_t>(&a.primitive())).second) continue;
    counts[a.primitive().name()]++;
    for (const auto& in : a.inputs()) stack.push_back(in);
  }
  std::string out = "{";
  for (const auto& [name, count] : counts) {
    if (out.size() > 1) out += ',';
    json_string(out, name);
    out += ':';
    out += std::to_string(count);
  }
  out += '}';
  return out;
}

}  // namespace

extern "C" {

mlx_stream mlx_default_cpu_stream_new(void) {
  VMLX_TRY_HANDLE(mlx_stream, return wrap_stream(mx::default_stream(mx::Device::cpu)))
}
mlx_stream mlx_default_gpu_stream_new(void) {
  VMLX_TRY_HANDLE(mlx_stream, return wrap_stream(mx::default_stream(mx::Device::gpu)))
}
mlx_stream mlx_stream_new_device(mlx_device dev) {
  VMLX_TRY_HANDLE(mlx_stream, return wrap_stream(mx::new_stream(device(dev))))
}
int mlx_stream_free(mlx_stream s) {
  delete static_cast<mx::Stream*>(s.ctx);
  return 0;
}
int mlx_stream_get_index(int* res, mlx_stream s) { VMLX_TRY(*res = stream(s).index) }
int mlx_stream_get_device(mlx_device* dev, mlx_stream s) {
  VMLX_TRY({
    if (dev->ctx) {
      device(*dev) = stream(s).device;
    } else {
      *dev = wrap_device(stream(s).device);
    }
  })
}
int mlx_synchronize(mlx_stream s) { VMLX_TRY(mx::synchronize(stream(s))) }

mlx_device mlx_device_new(void) { return mlx_device{nullptr}; }
mlx_device mlx_device_new_type(mlx_device_type type, int index) {
  VMLX_TRY_HANDLE(mlx_device, {
    auto t = type == MLX_GPU ? mx::Device::gpu : mx::Device::cpu;
    return wrap_device(mx::Device(t, index));
  })
}
int mlx_device_free(mlx_device d) {
  delete static_cast<mx::Device*>(d.ctx);
  return 0;
}
int mlx_get_default_device(mlx_device* dev) {
  VMLX_TRY({
    if (dev->ctx) {
      device(*dev) = mx::default_device();
    } else {
      *dev = wrap_device(mx::default_device());
    }
  })
}
int mlx_set_default_device(mlx_device dev) { VMLX_TRY(mx::set_default_device(device(dev))) }
int mlx_device_get_type(mlx_device_type* type, mlx_device dev) {
  VMLX_TRY(*type = device(dev).type == mx::Device::gpu ? MLX_GPU : MLX_CPU)
}
int vmlx_gpu_is_available(bool* res) { VMLX_TRY(*res = mx::is_available(mx::Device::gpu)) }

int mlx_eval(const mlx_vector_array outputs) { VMLX_TRY(mx::eval(vec(outputs))) }
int mlx_async_eval(const mlx_vector_array outputs) { VMLX_TRY(mx::async_eval(vec(outputs))) }
int vmlx_eval_n(const mlx_array* arrs, size_t n) { VMLX_TRY(mx::eval(collect(arrs, n))) }
int vmlx_async_eval_n(const mlx_array* arrs, size_t n) { VMLX_TRY(mx::async_eval(collect(arrs, n))) }

int vmlx_graph_primitives_json(const char** res, const mlx_array* arrs, size_t n) {
  static thread_local std::string buffer;
  VMLX_TRY({
    buffer = primitives_json(collect(arrs, n));
    *res = buffer.c_str();
  })
}

}  // extern "C"
