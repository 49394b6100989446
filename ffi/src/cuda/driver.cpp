// The CUDA driver and NVRTC for direct launches (driver.h). The include paths NVRTC gets are the ones MLX's own JIT
// uses (mlx/backend/cuda/jit_module.cpp): the wheel's include/ and its CCCL, then the CUDA headers beside the wheel
// (site-packages/nvidia/cu13), CUDA_HOME, CUDA_PATH or /usr/local/cuda.
#include "driver.h"

#include <dlfcn.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <vector>

#include <mlx/backend/cuda/device.h>

namespace mlx::core::cu {
const char* cccl_dir();  // exported by libmlx (mlx/backend/cuda/jit_module.cpp), not declared in its headers
}  // namespace mlx::core::cu

namespace vmlx::cuda::driver {

namespace {

namespace fs = std::filesystem;

void* library(const char* soname) {
  void* h = dlopen(soname, RTLD_NOW | RTLD_NOLOAD);
  if (h == nullptr) h = dlopen(soname, RTLD_NOW);
  if (h == nullptr) throw Unavailable(std::string("[cuda direct] cannot load ") + soname);
  return h;
}

template <typename F>
F symbol(void* lib, const char* name) {
  auto f = reinterpret_cast<F>(dlsym(lib, name));
  if (f == nullptr) throw Unavailable(std::string("[cuda direct] missing symbol ") + name);
  return f;
}

}  // namespace

const Api& api() {
  static const Api a = [] {
    void* cu = library("libcuda.so.1");
    void* rtc = library("libnvrtc.so.13");
    return Api{symbol<decltype(&cuModuleLoadData)>(cu, "cuModuleLoadData"),
               symbol<decltype(&cuModuleGetFunction)>(cu, "cuModuleGetFunction"),
               symbol<decltype(&cuMemAllocAsync)>(cu, "cuMemAllocAsync"),
               symbol<decltype(&cuMemFree)>(cu, "cuMemFree_v2"),
               symbol<decltype(&cuMemFreeAsync)>(cu, "cuMemFreeAsync"),
               symbol<decltype(&cuMemFreeHost)>(cu, "cuMemFreeHost"),
               symbol<decltype(&cuMemHostAlloc)>(cu, "cuMemHostAlloc"),
               symbol<decltype(&cuGetErrorString)>(cu, "cuGetErrorString"),
               symbol<decltype(&nvrtcCreateProgram)>(rtc, "nvrtcCreateProgram"),
               symbol<decltype(&nvrtcCompileProgram)>(rtc, "nvrtcCompileProgram"),
               symbol<decltype(&nvrtcGetProgramLogSize)>(rtc, "nvrtcGetProgramLogSize"),
               symbol<decltype(&nvrtcGetProgramLog)>(rtc, "nvrtcGetProgramLog"),
               symbol<decltype(&nvrtcGetCUBINSize)>(rtc, "nvrtcGetCUBINSize"),
               symbol<decltype(&nvrtcGetCUBIN)>(rtc, "nvrtcGetCUBIN"),
               symbol<decltype(&nvrtcGetPTXSize)>(rtc, "nvrtcGetPTXSize"),
               symbol<decltype(&nvrtcGetPTX)>(rtc, "nvrtcGetPTX"),
               symbol<decltype(&nvrtcDestroyProgram)>(rtc, "nvrtcDestroyProgram"),
               symbol<decltype(&nvrtcGetNumSupportedArchs)>(rtc, "nvrtcGetNumSupportedArchs"),
               symbol<decltype(&nvrtcGetSupportedArchs)>(rtc, "nvrtcGetSupportedArchs")};
  }();
  return a;
}

void check(CUresult r, const char* what) {
  if (r == CUDA_SUCCESS) return;
  const char* msg = nullptr;
  api().error_string(r, &msg);
  throw std::runtime_error(std::string("[cuda direct] ") + what + ": " + (msg ? msg : "unknown error"));
}

namespace {

const std::vector<std::string>& include_args() {
  static const std::vector<std::string> args = [] {
    std::vector<std::string> out;
    Dl_info info{};
    fs::path root;
    if (dladdr(reinterpret_cast<void*>(&mx::cu::get_command_encoder), &info) != 0 && info.dli_fname != nullptr) {
      root = fs::path(info.dli_fname).parent_path().parent_path();  // <wheel>/mlx/lib/libmlx.so -> <wheel>/mlx
    }
    auto include = root / "include";
    if (fs::exists(include)) out.push_back("--include-path=" + include.string());
    auto cccl = include / "cccl";
    if (!fs::exists(cccl) && mx::cu::cccl_dir() != nullptr) cccl = mx::cu::cccl_dir();
    if (fs::exists(cccl)) out.push_back("--include-path=" + cccl.string());
    auto cuda = root.parent_path() / "nvidia" / "cu13" / "include";
    if (!fs::exists(cuda)) {
      const char* home = std::getenv("CUDA_HOME");
      if (home == nullptr) home = std::getenv("CUDA_PATH");
      cuda = fs::path(home != nullptr ? home : "/usr/local/cuda") / "include";
    }
    out.push_back("--include-path=" + cuda.string());
    return out;
  }();
  return args;
}

bool nvrtc_has_sass(int arch) {
  int n = 0;
  if (api().num_archs(&n) != NVRTC_SUCCESS || n <= 0) return false;
  std::vector<int> archs(n);
  if (api().archs(archs.data()) != NVRTC_SUCCESS) return false;
  for (int a : archs) {
    if (a == arch) return true;
  }
  return false;
}

}  // namespace

CUfunction compile(const std::string& src, const std::string& entry, const mx::Stream& s) {
  auto& device = mx::cu::device(s.device);
  device.make_current();
  const int major = device.compute_capability_major(), minor = device.compute_capability_minor();
  const bool sass = nvrtc_has_sass(major * 10 + minor);
  std::string arch = std::string("--gpu-architecture=") + (sass ? "sm_" : "compute_") + std::to_string(major) +
                     std::to_string(minor) + (major >= 9 ? "a" : "");
  std::vector<const char*> opts = {arch.c_str(), "--device-as-default-execution-space"};
  for (const auto& inc : include_args()) opts.push_back(inc.c_str());
  const Api& a = api();
  nvrtcProgram prog;
  if (a.create(&prog, src.c_str(), (entry + ".cu").c_str(), 0, nullptr, nullptr) != NVRTC_SUCCESS) {
    throw Unavailable("[cuda direct] nvrtcCreateProgram failed for " + entry);
  }
  std::unique_ptr<nvrtcProgram, void (*)(nvrtcProgram*)> guard(&prog, [](nvrtcProgram* p) { api().destroy(p); });
  if (a.compile(prog, static_cast<int>(opts.size()), opts.data()) != NVRTC_SUCCESS) {
    size_t n = 0;
    a.log_size(prog, &n);
    std::string log(n, '\0');
    a.log(prog, log.data());
    throw Unavailable("[cuda direct] NVRTC failed to compile " + entry + ": " + log);
  }
  size_t n = 0;
  std::string image;
  if (sass) {
    a.cubin_size(prog, &n);
    image.resize(n);
    a.cubin(prog, image.data());
  } else {
    a.ptx_size(prog, &n);
    image.resize(n);
    a.ptx(prog, image.data());
  }
  CUmodule module;  // kept loaded for the process's life, as MLX keeps its JIT modules
  if (CUresult r = a.module_load(&module, image.data()); r != CUDA_SUCCESS) {
    throw Unavailable("[cuda direct] cuModuleLoadData refused " + entry + " (CUresult " + std::to_string(r) + ")");
  }
  CUfunction fn;
  if (CUresult r = a.get_function(&fn, module, entry.c_str()); r != CUDA_SUCCESS) {
    throw Unavailable("[cuda direct] cuModuleGetFunction found no " + entry + " (CUresult " + std::to_string(r) + ")");
  }
  return fn;
}

}  // namespace vmlx::cuda::driver
