// Our CUDA kernels launched by a primitive of our own instead of MLX's `fast::cuda_kernel`.
//
// MLX's custom kernel rebuilds the kernel's whole source on every call (the wrapper, the header, the body: some
// 10 KB of string work while the graph is built), then hashes that source again when the step is encoded, to find
// the compiled module by name. Our kernels run 2-9 times a layer, so that is paid hundreds of times a step. Here a
// variant (a kernel, its template constants and its inputs' dtypes) is compiled once with NVRTC and loaded with the
// driver; a call finds its CUfunction by a short key and the primitive hands it to MLX's command encoder, in MLX's
// graph like MLX's own kernels. The kernel bodies are the same files, wrapped as MLX wraps them (direct_source.h).
//
// VLLM_MLX_CUDA_LAUNCH=mlx (read once) keeps MLX's custom kernels.
#pragma once
#include <string>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

#include "../common.h"

namespace vmlx::cuda {

// A kernel as MLX's `fast::cuda_kernel` takes it: a name, a body written against its inputs and outputs by name,
// and a header placed before the generated `__global__` function. An input whose `<name>_shape` the body reads
// also gets its shape (as MLX passes a `Shape`: by value, here 8 int32).
struct Kernel {
  std::string name;
  const char* body;
  const char* header;  // or nullptr
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;
};

using Constant = std::pair<std::string, mx::fast::TemplateArg>;

// Whether our kernels launch through this primitive: on unless VLLM_MLX_CUDA_LAUNCH=mlx (read once).
bool enabled();

// `k` over `inputs` (made row-contiguous on the device where they are not), with MLX's launch convention: `grid`
// counts threads, `block` is the block's shape. The variant compiles on its first call (NVRTC, then the driver);
// a compile or load error throws driver::Unavailable (driver.h) with NVRTC's log.
std::vector<mx::array> launch(const Kernel& k, const std::vector<mx::array>& inputs,
                              const std::vector<mx::Shape>& out_shapes, const std::vector<mx::Dtype>& out_dtypes,
                              std::tuple<int, int, int> grid, std::tuple<int, int, int> block,
                              const std::vector<Constant>& constants, const mx::Stream& s);

// `k` as MLX's kernel function type, so that a call site reads the same either way: each call launches directly
// (launch) when enabled(), else through MLX's `fast::cuda_kernel` of the same kernel. (Only `init_value` unset
// and `verbose` false are supported directly.) Should a direct launch be unavailable (driver::Unavailable), the
// kernel says so on stderr once and goes through MLX's from then on.
mx::fast::CustomKernelFunction function(Kernel k);

// Host data of `shape` and `dtype` as an array in pinned host memory, which kernels read in place over the bus
// (UVA). For a small input read once a step (a grammar's bitmask): an array from MLX's host allocation is managed
// memory, whose pages move to the device on the kernel's first touch and back on the next step's write.
mx::array pinned_from_host(const void* data, mx::Shape shape, mx::Dtype dtype, const mx::Stream& s);

}  // namespace vmlx::cuda
