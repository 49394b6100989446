// What vmlx's own CPU primitives (qmm.cpp, swiglu_cpu.cpp, norm_rope_cpu.cpp, attention_cpu.cpp, paged_cpu.cpp,
// cache_write.cpp) check of, and do to, the arrays they read through plain pointers, and the start of their eval_cpu.
#pragma once
#include <mlx/backend/cpu/encoder.h>

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "common.h"
#include "cpu_dtype.h"

namespace vmlx {

// One dense row-major buffer: what a kernel can read as a pointer and a length.
inline bool plain(const mx::array& a) { return a.flags().row_contiguous && a.data_size() == a.size(); }

// `a` as an input a CPU primitive reads as plain memory: itself where it is already computed and plain (a loaded
// weight), else through a Contiguous node, which shares a plain buffer and copies anything else (one more
// primitive to evaluate each step, so not added where it is known to be a no-op).
inline mx::array plain_input(const mx::array& a, const mx::Stream& s) {
  return a.is_available() && plain(a) ? a : mx::contiguous(a, false, s);
}

// Throws unless every input is plain: what a CPU primitive checks of the inputs it reads through pointers. `op` names
// it in the message ("[op] CPU primitive input is not row-contiguous").
inline void require_plain(const std::vector<mx::array>& in, const char* op) {
  for (const auto& a : in) {
    if (!plain(a)) throw std::runtime_error(std::string("[") + op + "] CPU primitive input is not row-contiguous");
  }
}

// The CPU kernels' dtype for an MLX dtype, or nullopt for one they do not serve.
inline std::optional<CpuDtype> cpu_dtype(mx::Dtype t) {
  if (t == mx::float32) return CpuDtype::f32;
  if (t == mx::float16) return CpuDtype::f16;
  if (t == mx::bfloat16) return CpuDtype::bf16;
  return std::nullopt;
}

// Allocates `out` and registers the primitive's inputs and output with the CPU stream's command encoder, which it
// returns for the primitive's dispatch.
inline mx::cpu::CommandEncoder& cpu_output(const std::vector<mx::array>& in, mx::array& out, const mx::Stream& s) {
  out.set_data(mx::allocator::malloc(out.nbytes()));
  auto& encoder = mx::cpu::get_command_encoder(s);
  for (const auto& a : in) encoder.set_input_array(a);
  encoder.set_output_array(out);
  return encoder;
}

}  // namespace vmlx
