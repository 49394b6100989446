// The CUDA driver and NVRTC as libmlx loaded them (looked up at run time, not linked): what our direct launches
// (direct.h) need to compile a kernel once and to allocate memory outside MLX's allocator.
#pragma once
#include <stdexcept>
#include <string>

#include <cuda.h>
#include <nvrtc.h>

#include "../common.h"

namespace vmlx::cuda::driver {

// A direct launch that cannot be set up here: a library or symbol missing, or NVRTC or the driver refusing a kernel
// (direct.h's function() then goes through MLX's custom kernel instead).
struct Unavailable : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Api {
  decltype(&cuModuleLoadData) module_load;
  decltype(&cuModuleGetFunction) get_function;
  decltype(&cuMemAllocAsync) mem_alloc;
  decltype(&cuMemFree) mem_free;
  decltype(&cuMemFreeAsync) mem_free_async;
  decltype(&cuMemFreeHost) mem_free_host;
  decltype(&cuMemHostAlloc) host_alloc;
  decltype(&cuGetErrorString) error_string;
  decltype(&nvrtcCreateProgram) create;
  decltype(&nvrtcCompileProgram) compile;
  decltype(&nvrtcGetProgramLogSize) log_size;
  decltype(&nvrtcGetProgramLog) log;
  decltype(&nvrtcGetCUBINSize) cubin_size;
  decltype(&nvrtcGetCUBIN) cubin;
  decltype(&nvrtcGetPTXSize) ptx_size;
  decltype(&nvrtcGetPTX) ptx;
  decltype(&nvrtcDestroyProgram) destroy;
  decltype(&nvrtcGetNumSupportedArchs) num_archs;
  decltype(&nvrtcGetSupportedArchs) archs;
};

// The entry points, looked up once (throws Unavailable when a library or symbol is missing).
const Api& api();

// Throws std::runtime_error("[cuda direct] what: <the driver's message>") unless `r` is CUDA_SUCCESS.
void check(CUresult r, const char* what);

// `src` compiled with NVRTC for the device of `s` (a cubin where NVRTC knows its architecture, as MLX chooses,
// else PTX for the driver to finish), loaded for the process's life; returns its extern "C" function `entry`.
// A compile or load error throws Unavailable with NVRTC's log or the driver's message.
CUfunction compile(const std::string& src, const std::string& entry, const mx::Stream& s);

}  // namespace vmlx::cuda::driver
