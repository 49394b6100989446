// Direct launches of our CUDA kernels (direct.h): a variant compiled once (driver.h), a primitive that adds it to
// MLX's command encoder, its outputs in device memory of our own (buffers.h).
#include "direct.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <unordered_map>

#include <mlx/backend/cuda/device.h>
#include <mlx/backend/cuda/utils.h>
#include <mlx/primitives.h>

#include "buffers.h"
#include "direct_source.h"
#include "driver.h"

namespace vmlx::cuda {

namespace {

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
  static CUfunction fn = driver::compile(source::STRIDED_COPY, "vmlx_direct_strided_copy", s);
  mx::array out(x.shape(), x.dtype(), nullptr, {});
  out.set_data(buffers::device(out.nbytes(), enc));
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
    for (auto& out : outputs) out.set_data(buffers::device(out.nbytes(), enc));
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
  CUfunction fn = driver::compile(source::wrap(entry, k.header, k.body, ins, outs, consts), entry, s);
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

mx::array pinned_from_host(const void* data, mx::Shape shape, mx::Dtype dtype, const mx::Stream& s) {
  mx::array out(std::move(shape), dtype, nullptr, {});
  const size_t nbytes = out.nbytes();
  auto d = buffers::pinned(nbytes, s);
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
  auto unavailable = std::make_shared<std::atomic<bool>>(false);
  return [spec, mlx, unavailable](const std::vector<mx::array>& inputs, const std::vector<mx::Shape>& out_shapes,
                                  const std::vector<mx::Dtype>& out_dtypes, std::tuple<int, int, int> grid,
                                  std::tuple<int, int, int> block, std::vector<Constant> constants,
                                  std::optional<float> init_value, bool verbose, mx::StreamOrDevice s) {
    if (enabled() && !unavailable->load() && !init_value.has_value() && !verbose) {
      try {
        return launch(*spec, inputs, out_shapes, out_dtypes, grid, block, constants, mx::to_stream(s));
      } catch (const driver::Unavailable& e) {
        // Set-up failed here (no NVRTC, headers not found, a kernel the driver refuses): this kernel goes through
        // MLX's custom kernel from now on, which compiles it its own way, rather than failing every request
        unavailable->store(true);
        std::fprintf(stderr, "vllm-mlx: %s\nvllm-mlx: %s now launches through MLX's custom kernel\n", e.what(),
                     spec->name.c_str());
      }
    }
    return (*mlx)(inputs, out_shapes, out_dtypes, grid, block, std::move(constants), init_value, verbose, s);
  };
}

}  // namespace vmlx::cuda
