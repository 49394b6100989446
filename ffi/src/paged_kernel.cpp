// The paged-attention decode kernel's entry, shared by the Metal and CUDA builds: which inputs it takes, then the
// backend's launch (src/metal/paged_metal.cpp: one threadgroup per (row, query head); src/cuda/paged_cuda.cpp:
// split over the keys when a row's keys pass one partition).
#include <cmath>
#include <stdexcept>
#include <string>

#include "paged.h"

namespace vmlx::paged {

#if defined(VMLX_WITH_METAL) || defined(VMLX_WITH_CUDA)
// Defined by the backend's file: launches its JIT kernels on `a` (checked by unsupported_reason).
mx::array launch_decode(const Args& a, const mx::Stream& s);
#endif

namespace {

#if defined(VMLX_WITH_METAL) || defined(VMLX_WITH_CUDA)
bool head_dim_supported(int d) { return d == 64 || d == 80 || d == 96 || d == 128 || d == 256; }

bool dtype_supported(mx::Dtype t) { return t == mx::float16 || t == mx::bfloat16 || t == mx::float32; }
#endif

// Why the kernel cannot take `a` on `s`; empty when it can.
std::string unsupported_reason(const Args& a, const mx::Stream& s) {
#if !defined(VMLX_WITH_METAL) && !defined(VMLX_WITH_CUDA)
  return std::string("this build (backend ") + VMLX_BACKEND_NAME + ") has no paged-attention kernel";
#else
  const auto& q = a.queries;
  if (s.device != mx::Device::gpu) return "the kernel runs on a GPU stream only";
  if (q.shape(2) != 1) return "the kernel handles decode (query length 1), got " + std::to_string(q.shape(2));
  if (!head_dim_supported(q.shape(3))) {
    return "head dim " + std::to_string(q.shape(3)) + " is not one of 64, 80, 96, 128, 256";
  }
  if (!dtype_supported(q.dtype()) || a.k_pool.dtype() != q.dtype() || a.v_pool.dtype() != q.dtype()) {
    return "queries, k_pool and v_pool must share one dtype of float16, bfloat16 or float32";
  }
#if defined(VMLX_WITH_CUDA)
  // The CUDA kernels take the scale's bits as a template constant, which MLX puts into the kernel's name.
  if (!(a.scale > 0.0f) || !std::isfinite(a.scale)) return "the CUDA kernel needs a positive finite scale";
#endif
  return "";
#endif
}

}  // namespace

bool kernel_supports(const Args& a, const mx::Stream& s) { return unsupported_reason(a, s).empty(); }

mx::array kernel(const Args& a, const mx::Stream& s) {
  auto reason = unsupported_reason(a, s);
  if (!reason.empty()) throw std::invalid_argument("[paged_attention] kernel path: " + reason);
#if defined(VMLX_WITH_METAL) || defined(VMLX_WITH_CUDA)
  return launch_decode(a, s);
#else
  throw std::logic_error("unreachable");
#endif
}

}  // namespace vmlx::paged
