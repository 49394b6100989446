// Direct launches of our CUDA kernels (direct.h): NVRTC once a variant, a primitive that adds the kernel to MLX's
// command encoder, and device memory for the outputs.
//
// Outputs: the wheel's libmlx does not export its stream-ordered device allocation, and its host `malloc` gives
// managed memory (which it converts device buffers into, taken from its cache). So the outputs come from a small
// pool of our own (cuMemAllocAsync on the encoder's stream as MLX does, kept by size) wrapped as MLX buffers with a deleter that gives them back. MLX holds
// a kernel's inputs and outputs until the device has run it, so a buffer returns to the pool only after that. Should
// MLX move one to managed memory (a host read of the output), the deleter frees it instead.
//
// NVRTC and the driver are the libraries libmlx already loaded (looked up, not linked). The include paths are the
// ones MLX's own JIT uses (mlx/backend/cuda/jit_module.cpp): the wheel's include/ and its CCCL, then the CUDA
// headers beside the wheel (site-packages/nvidia/cu13), CUDA_HOME, CUDA_PATH or /usr/local/cuda.
#include "direct.h"

#include <dlfcn.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <unordered_map>

#include <cuda.h>
#include <nvrtc.h>

#include <mlx/backend/cuda/device.h>
#include <mlx/primitives.h>
#include <mlx/backend/cuda/utils.h>

#include "direct_source.h"

namespace mlx::core::cu {
const char* cccl_dir();  // exported by libmlx (mlx/backend/cuda/jit_module.cpp), not declared in its headers
}  // namespace mlx::core::cu

namespace vmlx::cuda {

namespace {

namespace fs = std::filesystem;

// ---- the libraries libmlx loaded -------------------------------------------------------------------------------

void* library(const char* soname) {
  void* h = dlopen(soname, RTLD_NOW | RTLD_NOLOAD);
  if (h == nullptr) h = dlopen(soname, RTLD_NOW);
  if (h == nullptr) throw std::runtime_error(std::string("[cuda direct] cannot load ") + soname);
  return h;
}

template <typename F>
F symbol(void* lib, const char* name) {
  auto f = reinterpret_cast<F>(dlsym(lib, name));
  if (f == nullptr) throw std::runtime_error(std::string("[cuda direct] missing symbol ") + name);
  return f;
}

struct Api {
  decltype(&cuModuleLoadData) module_load;
  decltype(&cuModuleGetFunction) get_function;
  decltype(&cuMemAllocAsync) mem_alloc;
  decltype(&cuMemFree) mem_free;
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

const Api& api() {
  static const Api a = [] {
    void* cu = library("libcuda.so.1");
    void* rtc = library("libnvrtc.so.13");
    return Api{symbol<decltype(&cuModuleLoadData)>(cu, "cuModuleLoadData"),
               symbol<decltype(&cuModuleGetFunction)>(cu, "cuModuleGetFunction"),
               symbol<decltype(&cuMemAllocAsync)>(cu, "cuMemAllocAsync"),
               symbol<decltype(&cuMemFree)>(cu, "cuMemFree_v2"),
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

// ---- compiling a variant ---------------------------------------------------------------------------------------

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

// Compiles `src` for the current device and returns its entry `entry`: a cubin where NVRTC knows the device's
// architecture (MLX's choice too), else PTX for the driver to finish.
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
    throw std::runtime_error("[cuda direct] nvrtcCreateProgram failed for " + entry);
  }
  std::unique_ptr<nvrtcProgram, void (*)(nvrtcProgram*)> guard(&prog, [](nvrtcProgram* p) { api().destroy(p); });
  if (a.compile(prog, static_cast<int>(opts.size()), opts.data()) != NVRTC_SUCCESS) {
    size_t n = 0;
    a.log_size(prog, &n);
    std::string log(n, '\0');
    a.log(prog, log.data());
    throw std::runtime_error("[cuda direct] NVRTC failed to compile " + entry + ": " + log);
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
  check(a.module_load(&module, image.data()), "cuModuleLoadData");
  CUfunction fn;
  check(a.get_function(&fn, module, entry.c_str()), "cuModuleGetFunction");
  return fn;
}

const char* c_type(mx::Dtype t) {
  switch (t) {
    case mx::float16: return "__half";
    case mx::bfloat16: return "__nv_bfloat16";
    case mx::float32: return "float";
    case mx::int32: return "int32_t";
    case mx::uint32: return "uint32_t";
    case mx::int64: return "int64_t";
    case mx::uint8: return "uint8_t";
    default: throw std::invalid_argument("[cuda direct] no kernel parameter type for this dtype");
  }
}

// ---- output memory ---------------------------------------------------------------------------------------------

// Device buffers kept by size once their arrays are gone, up to CACHE_BYTES in all.
class Pool {
 public:
  static constexpr size_t CACHE_BYTES = size_t(256) << 20;

  mx::allocator::Data take(size_t nbytes, mx::cu::CommandEncoder& enc) {
    auto* buf = new mx::cu::CudaBuffer{nullptr, 0, -1};
    if (nbytes > 0) {
      const size_t size = rounded(nbytes);
      buf->size = size;
      buf->device = enc.device().cuda_device();
      std::unique_lock lock(mutex_);
      auto it = free_.find(size);
      if (it != free_.end() && !it->second.empty()) {
        buf->data = it->second.back();
        it->second.pop_back();
        cached_ -= size;
      } else {
        lock.unlock();
        enc.device().make_current();
        CUdeviceptr p = 0;
        // Stream-ordered on the encoder's stream, as MLX allocates its own kernels' outputs (and frees them)
        check(api().mem_alloc(&p, size, static_cast<CUstream>(static_cast<cudaStream_t>(enc.stream()))),
              "cuMemAllocAsync");
        buf->data = reinterpret_cast<void*>(p);
      }
    }
    return mx::allocator::Data(mx::allocator::Buffer(buf), [this](mx::allocator::Buffer b) { give(b); });
  }

 private:
  static size_t rounded(size_t n) {
    if (n <= 256) return 256;
    if (n < 4096) {
      size_t p = 256;
      while (p < n) p <<= 1;
      return p;
    }
    return (n + 4095) & ~size_t(4095);
  }

  void give(mx::allocator::Buffer b) {
    auto* buf = static_cast<mx::cu::CudaBuffer*>(b.ptr());
    if (buf->data != nullptr) {
      // device -1: MLX moved it to managed memory for a host read (and freed ours); not one of ours any more.
      bool keep = buf->device >= 0;
      if (keep) {
        std::lock_guard lock(mutex_);
        keep = cached_ + buf->size <= CACHE_BYTES;
        if (keep) {
          free_[buf->size].push_back(buf->data);
          cached_ += buf->size;
        }
      }
      if (!keep) {
        // (device -1 is MLX's managed copy, or pinned host memory where the device has no concurrent managed
        // access; either is freed in the device's context)
        mx::cu::device(mx::Device(mx::Device::gpu, buf->device >= 0 ? buf->device : 0)).make_current();
        if (api().mem_free(reinterpret_cast<CUdeviceptr>(buf->data)) != CUDA_SUCCESS && buf->device < 0) {
          api().mem_free_host(buf->data);
        }
      }
    }
    delete buf;
  }

  std::mutex mutex_;
  std::unordered_map<size_t, std::vector<void*>> free_;
  size_t cached_ = 0;
};

Pool& pool() {
  static Pool* p = new Pool();  // never destroyed: buffers may come back while the process exits
  return *p;
}

// Pinned host buffers kept by size (device -1 in MLX's terms: it reads them in place, as its managed memory).
class PinnedPool {
 public:
  static constexpr size_t CACHE_BYTES = size_t(64) << 20;

  mx::allocator::Data take(size_t nbytes, const mx::Stream& s) {
    const size_t size = (std::max<size_t>(nbytes, 1) + 4095) & ~size_t(4095);
    auto* buf = new mx::cu::CudaBuffer{nullptr, size, -1};
    {
      std::lock_guard lock(mutex_);
      auto it = free_.find(size);
      if (it != free_.end() && !it->second.empty()) {
        buf->data = it->second.back();
        it->second.pop_back();
        cached_ -= size;
      }
    }
    if (buf->data == nullptr) {
      mx::cu::device(s.device).make_current();
      check(api().host_alloc(&buf->data, size, CU_MEMHOSTALLOC_PORTABLE | CU_MEMHOSTALLOC_DEVICEMAP),
            "cuMemHostAlloc");
    }
    return mx::allocator::Data(mx::allocator::Buffer(buf), [this](mx::allocator::Buffer b) { give(b); });
  }

 private:
  void give(mx::allocator::Buffer b) {
    auto* buf = static_cast<mx::cu::CudaBuffer*>(b.ptr());
    bool keep;
    {
      std::lock_guard lock(mutex_);
      keep = cached_ + buf->size <= CACHE_BYTES;
      if (keep) {
        free_[buf->size].push_back(buf->data);
        cached_ += buf->size;
      }
    }
    if (!keep) api().mem_free_host(buf->data);
    delete buf;
  }

  std::mutex mutex_;
  std::unordered_map<size_t, std::vector<void*>> free_;
  size_t cached_ = 0;
};

PinnedPool& pinned_pool() {
  static PinnedPool* p = new PinnedPool();
  return *p;
}

// ---- inputs that are not row-contiguous ------------------------------------------------------------------------

struct Dims {
  int32_t v[8];
};
struct Strides {
  int64_t v[8];
};


// `x` copied into a fresh row-contiguous array on the device, which the encoder keeps until the copy has run.
mx::array contiguous_copy(const mx::array& x, mx::cu::CommandEncoder& enc, const mx::Stream& s) {
  if (x.ndim() > 8) throw std::invalid_argument("[cuda direct] an input of more than 8 dimensions");
  static CUfunction fn = compile(source::STRIDED_COPY, "vmlx_direct_strided_copy", s);
  mx::array out(x.shape(), x.dtype(), nullptr, {});
  out.set_data(pool().take(out.nbytes(), enc));
  Dims shape{};
  Strides strides{};
  for (size_t d = 0; d < x.ndim(); ++d) shape.v[d] = x.shape(d), strides.v[d] = x.strides(d);
  int ndim = static_cast<int>(x.ndim()), elem = static_cast<int>(x.itemsize());
  long long n = static_cast<long long>(x.size());
  auto src = reinterpret_cast<CUdeviceptr>(mx::gpu_ptr<void>(x));
  auto dst = reinterpret_cast<CUdeviceptr>(mx::gpu_ptr<void>(out));
  void* args[] = {&src, &dst, &shape, &strides, &ndim, &elem, &n};
  enc.set_input_array(x);
  enc.set_output_array(out);
  const unsigned blocks = static_cast<unsigned>((n + 255) / 256);
  enc.add_kernel_node_raw(fn, dim3(blocks > 0 ? blocks : 1), dim3(256), dim3(), 0, args);
  enc.add_temporary(out);
  return out;
}

// ---- the primitive ---------------------------------------------------------------------------------------------

struct Variant {
  CUfunction fn;
  std::string label;  // the primitive's name: "Vmlx" + the kernel's name
  std::vector<bool> shape_args;
};

class DirectLaunch : public mx::Primitive {
 public:
  DirectLaunch(mx::Stream s, const Variant* v, dim3 grid, dim3 block)
      : mx::Primitive(s), variant_(v), grid_(grid), block_(block) {}

  void eval_cpu(const std::vector<mx::array>&, std::vector<mx::array>&) override {
    throw std::runtime_error("[cuda direct] a CUDA kernel's primitive ran on a CPU stream");
  }

  void eval_gpu(const std::vector<mx::array>& inputs, std::vector<mx::array>& outputs) override {
    const auto& s = mx::Primitive::stream();
    auto& enc = mx::cu::get_command_encoder(s);
    std::vector<mx::array> ready;
    ready.reserve(inputs.size());
    for (const auto& x : inputs) ready.push_back(x.flags().row_contiguous ? x : contiguous_copy(x, enc, s));
    for (auto& out : outputs) out.set_data(pool().take(out.nbytes(), enc));
    // Argument storage first, so that the pointers into it stay put.
    std::vector<CUdeviceptr> ptrs;
    std::vector<Dims> shapes;
    ptrs.reserve(ready.size() + outputs.size());
    shapes.reserve(ready.size());
    std::vector<void*> args;
    for (size_t i = 0; i < ready.size(); ++i) {
      ptrs.push_back(reinterpret_cast<CUdeviceptr>(mx::gpu_ptr<void>(ready[i])));
      args.push_back(&ptrs.back());
      if (variant_->shape_args[i]) {
        Dims d{};
        for (size_t k = 0; k < ready[i].ndim() && k < 8; ++k) d.v[k] = ready[i].shape(k);
        shapes.push_back(d);
        args.push_back(&shapes.back());
      }
    }
    for (auto& out : outputs) {
      ptrs.push_back(reinterpret_cast<CUdeviceptr>(mx::gpu_ptr<void>(out)));
      args.push_back(&ptrs.back());
    }
    for (const auto& x : ready) enc.set_input_array(x);
    for (const auto& out : outputs) enc.set_output_array(out);
    enc.add_kernel_node_raw(variant_->fn, grid_, block_, dim3(), 0, args.data());
  }

  const char* name() const override { return variant_->label.c_str(); }

  bool is_equivalent(const mx::Primitive& other) const override {
    if (std::strcmp(other.name(), name()) != 0) return false;
    const auto& o = static_cast<const DirectLaunch&>(other);
    return o.variant_ == variant_ && o.grid_.x == grid_.x && o.grid_.y == grid_.y && o.grid_.z == grid_.z &&
           o.block_.x == block_.x && o.block_.y == block_.y && o.block_.z == block_.z;
  }

 private:
  const Variant* variant_;
  dim3 grid_, block_;
};

// A variant's key: its constants, then its inputs' and outputs' dtypes (which the signature's types follow).
std::string key_of(const std::vector<Constant>& constants, const std::vector<mx::array>& inputs,
                   const std::vector<mx::Dtype>& out_dtypes) {
  std::string key;
  key.reserve(64);
  for (const auto& [name, value] : constants) {
    key += '_';
    if (std::holds_alternative<int>(value)) {
      key += std::to_string(std::get<int>(value));
    } else if (std::holds_alternative<bool>(value)) {
      key += std::get<bool>(value) ? 't' : 'f';
    } else {
      key += static_cast<char>('a' + static_cast<int>(std::get<mx::Dtype>(value).val()));
    }
  }
  key += "__";
  for (const auto& x : inputs) key += static_cast<char>('a' + static_cast<int>(x.dtype().val()));
  for (const auto& t : out_dtypes) key += static_cast<char>('a' + static_cast<int>(t.val()));
  return key;
}

const Variant& variant(const Kernel& k, const std::vector<mx::array>& inputs,
                       const std::vector<mx::Dtype>& out_dtypes, const std::vector<Constant>& constants,
                       const mx::Stream& s) {
  static std::mutex mutex;
  static std::unordered_map<std::string, std::unique_ptr<Variant>> variants;
  std::string key = k.name + key_of(constants, inputs, out_dtypes);
  std::lock_guard lock(mutex);
  if (auto it = variants.find(key); it != variants.end()) return *it->second;
  std::vector<source::Param> ins, outs;
  std::vector<bool> shape_args;
  for (size_t i = 0; i < k.inputs.size(); ++i) {
    const bool shape = std::strstr(k.body, (k.inputs[i] + "_shape").c_str()) != nullptr;
    ins.push_back({k.inputs[i], c_type(inputs[i].dtype()), shape});
    shape_args.push_back(shape);
  }
  for (size_t i = 0; i < k.outputs.size(); ++i) outs.push_back({k.outputs[i], c_type(out_dtypes[i]), false});
  std::vector<source::Constant> consts;
  for (const auto& [name, value] : constants) {
    if (std::holds_alternative<int>(value)) {
      consts.push_back({name, std::get<int>(value), ""});
    } else if (std::holds_alternative<bool>(value)) {
      consts.push_back({name, std::get<bool>(value) ? 1 : 0, ""});
    } else {
      consts.push_back({name, 0, c_type(std::get<mx::Dtype>(value))});
    }
  }
  const std::string entry = source::entry_name(k.name, key.substr(k.name.size()));
  CUfunction fn = compile(source::wrap(entry, k.header, k.body, ins, outs, consts), entry, s);
  auto v = std::make_unique<Variant>(Variant{fn, "Vmlx" + k.name, std::move(shape_args)});
  return *variants.emplace(key, std::move(v)).first->second;
}

}  // namespace

bool enabled() {
  static const bool on = [] {
    const char* v = std::getenv("VLLM_MLX_CUDA_LAUNCH");
    return v == nullptr || std::strcmp(v, "mlx") != 0;
  }();
  return on;
}

std::vector<mx::array> launch(const Kernel& k, const std::vector<mx::array>& inputs,
                              const std::vector<mx::Shape>& out_shapes, const std::vector<mx::Dtype>& out_dtypes,
                              std::tuple<int, int, int> grid, std::tuple<int, int, int> block,
                              const std::vector<Constant>& constants, const mx::Stream& s) {
  if (s.device != mx::Device::gpu) throw std::invalid_argument("[" + k.name + "] runs on a GPU stream only");
  if (inputs.size() != k.inputs.size() || out_shapes.size() != k.outputs.size() ||
      out_dtypes.size() != k.outputs.size()) {
    throw std::invalid_argument("[" + k.name + "] inputs or outputs do not match the kernel's");
  }
  const Variant& v = variant(k, inputs, out_dtypes, constants, s);
  const auto [tx, ty, tz] = block;
  const auto [gx, gy, gz] = grid;
  // MLX's convention: the grid counts threads (a block never larger than it)
  dim3 b(std::min(tx, gx), std::min(ty, gy), std::min(tz, gz));
  dim3 g((gx + tx - 1) / tx, (gy + ty - 1) / ty, (gz + tz - 1) / tz);
  return mx::array::make_arrays(out_shapes, out_dtypes, std::make_shared<DirectLaunch>(s, &v, g, b), inputs);
}

mx::array pinned_from_host(const void* data, size_t nbytes, mx::Shape shape, mx::Dtype dtype, const mx::Stream& s) {
  mx::array out(std::move(shape), dtype, nullptr, {});
  if (static_cast<size_t>(out.nbytes()) != nbytes) {
    throw std::invalid_argument("[cuda direct] pinned_from_host: the bytes do not match the shape and dtype");
  }
  auto d = pinned_pool().take(nbytes, s);
  std::memcpy(static_cast<mx::cu::CudaBuffer*>(d.buffer().ptr())->data, data, nbytes);
  out.set_data(std::move(d));
  out.set_status(mx::array::Status::available);  // data, no primitive: what an array made from host data is
  return out;
}

mx::fast::CustomKernelFunction function(Kernel k) {
  const auto names = k.inputs;
  auto spec = std::make_shared<const Kernel>(std::move(k));
  auto mlx = std::make_shared<mx::fast::CustomKernelFunction>(mx::fast::cuda_kernel(
      spec->name, names, spec->outputs, spec->body, spec->header != nullptr ? spec->header : "",
      /*ensure_row_contiguous=*/true, /*shared_memory=*/0));
  return [spec, mlx](const std::vector<mx::array>& inputs, const std::vector<mx::Shape>& out_shapes,
                     const std::vector<mx::Dtype>& out_dtypes, std::tuple<int, int, int> grid,
                     std::tuple<int, int, int> block, std::vector<Constant> constants,
                     std::optional<float> init_value, bool verbose, mx::StreamOrDevice s) {
    if (!enabled() || init_value.has_value() || verbose) {
      return (*mlx)(inputs, out_shapes, out_dtypes, grid, block, std::move(constants), init_value, verbose, s);
    }
    return launch(*spec, inputs, out_shapes, out_dtypes, grid, block, constants, mx::to_stream(s));
  };
}

}  // namespace vmlx::cuda
