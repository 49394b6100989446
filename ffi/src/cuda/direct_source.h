// The source NVRTC compiles for one variant of a kernel launched by ffi/src/cuda/direct.cpp: the kernel wrapped
// as MLX's `fast::cuda_kernel` wraps it (its header, then a `__global__` function taking the inputs as const
// pointers, a `<name>_shape` where the body reads one, then the outputs, with the template constants declared at
// the top of the body), under a prelude of the CUDA headers MLX's own device header brings. Free of CUDA and MLX
// headers, so that a host-only check (ffi/tests/direct_source_check.cpp) can compile every variant with NVRTC.
#pragma once
#include <cctype>
#include <string>
#include <utility>
#include <vector>

namespace vmlx::cuda::source {

// The C type of each input, output and constant dtype: "__half", "__nv_bfloat16", "float", "int32_t", "uint32_t".
struct Param {
  std::string name;
  std::string type;
  bool shape = false;  // also takes `const __grid_constant__ Shape <name>_shape`
};

// One template constant: `constexpr int NAME = value;` or, when `type` is set, `using NAME = type;`.
struct Constant {
  std::string name;
  int value = 0;
  std::string type;
};

inline constexpr const char* PRELUDE = R"(#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda/std/array>
#include <cuda/std/limits>
#include <cuda/std/tuple>
#include <cooperative_groups.h>
)";

// An input that is not row-contiguous, copied into a fresh buffer of its shape (any dtype of 1, 2, 4 or 8 bytes;
// shapes and strides in elements, up to 8 dimensions).
inline constexpr const char* STRIDED_COPY = R"(
struct Dims { int v[8]; };
struct Strides { long long v[8]; };
extern "C" __global__ void vmlx_direct_strided_copy(const unsigned char* src, unsigned char* dst,
    const __grid_constant__ Dims shape, const __grid_constant__ Strides strides, int ndim, int elem, long long n) {
  long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
  if (i >= n) return;
  long long rem = i, at = 0;
  for (int d = ndim - 1; d >= 0; --d) {
    at += (rem % shape.v[d]) * strides.v[d];
    rem /= shape.v[d];
  }
  switch (elem) {
    case 1: dst[i] = src[at]; break;
    case 2: reinterpret_cast<unsigned short*>(dst)[i] = reinterpret_cast<const unsigned short*>(src)[at]; break;
    case 4: reinterpret_cast<unsigned int*>(dst)[i] = reinterpret_cast<const unsigned int*>(src)[at]; break;
    default: reinterpret_cast<unsigned long long*>(dst)[i] = reinterpret_cast<const unsigned long long*>(src)[at];
  }
}
)";

// The extern "C" entry's name of a variant: the kernel's name and its key (so that NVRTC needs no name lowering).
inline std::string entry_name(const std::string& kernel, const std::string& key) {
  std::string out = "vmlx_direct_" + kernel + "_";
  for (char c : key) out += (c == '-' ? 'm' : (std::isalnum(static_cast<unsigned char>(c)) ? c : '_'));
  return out;
}

inline std::string wrap(const std::string& entry, const char* header, const char* body,
                        const std::vector<Param>& inputs, const std::vector<Param>& outputs,
                        const std::vector<Constant>& constants) {
  std::string src = PRELUDE;
  src += "namespace vmlx_direct {\nstruct Shape {\n  int32_t v[8];\n"
         "  __device__ int32_t operator[](int i) const { return v[i]; }\n};\n}  // namespace vmlx_direct\n";
  if (header != nullptr) src += header;
  src += "\nnamespace vmlx_direct {\nnamespace cg = cooperative_groups;\n\nextern \"C\" __global__ void ";
  src += entry + "(\n";
  std::vector<std::string> params;
  for (const auto& p : inputs) {
    params.push_back("    const " + p.type + "* " + p.name);
    if (p.shape) params.push_back("    const __grid_constant__ Shape " + p.name + "_shape");
  }
  for (const auto& p : outputs) params.push_back("    " + p.type + "* " + p.name);
  for (size_t i = 0; i < params.size(); ++i) src += params[i] + (i + 1 < params.size() ? ",\n" : ") {\n");
  for (const auto& c : constants) {
    src += c.type.empty() ? "  constexpr int " + c.name + " = " + std::to_string(c.value) + ";\n"
                          : "  using " + c.name + " = " + c.type + ";\n";
  }
  src += "\n";
  src += body;
  src += "\n}\n}  // namespace vmlx_direct\n";
  return src;
}

}  // namespace vmlx::cuda::source
