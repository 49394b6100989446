// Launch of the paged-attention decode kernel, shared by the Metal and CUDA builds: one threadgroup (CUDA
// block) of 32 x simdgroups_for(keys) threads per (row, query head). The kernel source and MLX's kernel factory
// are backend-specific (src/metal/paged_metal.cpp, src/cuda/paged_cuda.cpp).
#include <stdexcept>
#include <string>

#include "cache_write.h"
#include "paged.h"

namespace vmlx::paged {

#if defined(VMLX_WITH_METAL) || defined(VMLX_WITH_CUDA)
// Defined by the backend's file: the JIT kernel built from the embedded source.
const mx::fast::CustomKernelFunction& decode_kernel();
#endif

namespace {

#if defined(VMLX_WITH_METAL) || defined(VMLX_WITH_CUDA)
// Simdgroups (warps) per threadgroup: each walks its share of a row's keys one after another, so a long context
// takes more of them (a row's 2,048 keys are 512 serial steps for 4 warps, 128 for 16). By the keys the block
// tables reach, a bound known on the host: 4 below 1,024, 8 below 2,048, else 16 (three compiled variants).
int simdgroups_for(int max_keys) { return max_keys < 1024 ? 4 : max_keys < 2048 ? 8 : 16; }

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
  return "";
#endif
}

}  // namespace

bool kernel_supports(const Args& a, const mx::Stream& s) { return unsupported_reason(a, s).empty(); }

mx::array kernel(const Args& a, const mx::Stream& s) {
  auto reason = unsupported_reason(a, s);
  if (!reason.empty()) throw std::invalid_argument("[paged_attention] kernel path: " + reason);
#if defined(VMLX_WITH_METAL) || defined(VMLX_WITH_CUDA)
  const auto& q = a.queries;
  int B = q.shape(0), Hq = q.shape(1), D = q.shape(3);
  int nsg = simdgroups_for(a.block_tables.shape(1) * a.k_pool.shape(1));
  int threads = 32 * nsg;
  mx::array params({a.scale, a.softcap.value_or(0.0f)});  // float32 [2]: scale, softcap (0: none)
  mx::array window({a.window.value_or(0)}, mx::int32);     // int32 [1]: sliding window (0: none)
  // `after`: the pools' write token when they come from this step's write (orders the kernel after it), else
  // any small array already among the inputs. The kernel does not read it.
  auto after = cache_write::write_token(a.k_pool).value_or(a.seq_lens);
  auto outs = decode_kernel()({q, a.k_pool, a.v_pool, a.block_tables, a.seq_lens, params, window, after}, {q.shape()},
                              {q.dtype()}, {threads, Hq, B}, {threads, 1, 1},
                              {{"T", q.dtype()}, {"D", D}, {"NSG", nsg}}, std::nullopt, false, s);
  return outs[0];
#else
  throw std::logic_error("unreachable");
#endif
}

}  // namespace vmlx::paged
