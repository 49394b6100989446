// RMSNorm and RoPE on a CPU stream (float32, float16, bfloat16), each as one primitive. MLX has no CPU kernel for
// either: on a CPU stream mx::fast builds them from basic ops (about 5 for RMSNorm, 10 for RoPE with its cosines and
// sines), and each op costs its dispatch (about 11 us on a 2-core x86_64 VM): 300 us a layer of a decode step went to
// two norms and two rotations. Same formulas as MLX's: x * rsqrt(mean(x^2) + eps) * w, and a rotation of pairs
// (i, i + dims / 2), or (2i, 2i + 1) when traditional, by ((offset + l) * scale) * inv_freq_i, with inv_freq_i =
// base^(-2i / dims) (MLX's own table) or 1 / freqs_i, in float32; in float16 and bfloat16 each of MLX's ops is
// rounded to the dtype where MLX rounds it. The norm's sum runs in another order and the cosines and sines are
// std::cos and std::sin, so results agree to a rounding. Other dtypes and shapes keep mx::fast.
#include <mlx/backend/cpu/encoder.h>
#include <mlx/fast.h>
#include <mlx/primitives.h>
#include <mlx/types/half_types.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <mutex>
#include <stdexcept>
#include <type_traits>
#include <variant>
#include <vector>

#include "fused_ops.h"
#include "plain_input.h"
#include "thread_pool.h"

using namespace vmlx;

namespace {

// Elements below which the work stays on the calling thread.
constexpr size_t PARALLEL_MIN = 1 << 15;

// Runs job.unit(u) for every u in [0, units) over the pool, in at most pool.size() * 4 contiguous ranges (one on the
// calling thread below PARALLEL_MIN elements).
template <class Job>
void run_units(Job& job, size_t units, size_t elements) {
  auto& pool = vmlx::ThreadPool::instance();
  job.tasks = elements < PARALLEL_MIN ? 1 : static_cast<int>(std::min<size_t>(units, pool.size() * 4));
  job.units = units;
  pool.run(job.tasks, [](void* ctx, int t) {
    auto& j = *static_cast<Job*>(ctx);
    const size_t u0 = j.units * t / j.tasks, u1 = j.units * (t + 1) / j.tasks;
    for (size_t u = u0; u < u1; ++u) j.unit(u);
  }, &job);
}

// v rounded to T, as float: MLX computes a float16 or bfloat16 op in float32 and rounds its result to the dtype.
template <class T>
inline float rounded(float v) {
  if constexpr (std::is_same_v<T, float>) {
    return v;
  } else {
    return static_cast<float>(static_cast<T>(v));
  }
}

// MLX's fallback: n = x * rsqrt(mean(x^2) + eps) in float32, rounded to T, then n * w in T.
template <class T>
struct NormJob {
  const T* x;
  const T* w;  // null: no weight
  T* out;
  size_t D;
  float eps;
  size_t units;
  int tasks;

  void unit(size_t row) const {
    const T* xr = x + row * D;
    T* o = out + row * D;
    float ss = 0.0f;
    for (size_t i = 0; i < D; ++i) ss += static_cast<float>(xr[i]) * static_cast<float>(xr[i]);
    const float r = 1.0f / std::sqrt(ss * (1.0f / static_cast<float>(D)) + eps);
    if (w) {
      for (size_t i = 0; i < D; ++i) {
        o[i] = static_cast<T>(rounded<T>(static_cast<float>(xr[i]) * r) * static_cast<float>(w[i]));
      }
    } else {
      for (size_t i = 0; i < D; ++i) o[i] = static_cast<T>(static_cast<float>(xr[i]) * r);
    }
  }
};

template <class T>
void run_norm(const std::vector<mx::array>& in, mx::array& out, float eps, mx::cpu::CommandEncoder& encoder) {
  const size_t D = in[0].shape(-1);
  NormJob<T> job{in[0].data<T>(), in.size() > 1 ? in[1].data<T>() : nullptr, out.data<T>(), D, eps, 0, 1};
  encoder.dispatch([job, n = out.size()]() mutable { run_units(job, n / job.D, n); });
}

class CpuRmsNorm : public mx::UnaryPrimitive {
 public:
  CpuRmsNorm(mx::Stream s, float eps) : mx::UnaryPrimitive(s), eps_(eps) {}

  void eval_cpu(const std::vector<mx::array>& in, mx::array& out) override {
    require_plain(in, "rms_norm");
    auto& encoder = cpu_output(in, out, stream());
    switch (out.dtype()) {
      case mx::float16: return run_norm<mx::float16_t>(in, out, eps_, encoder);
      case mx::bfloat16: return run_norm<mx::bfloat16_t>(in, out, eps_, encoder);
      default: return run_norm<float>(in, out, eps_, encoder);
    }
  }

  void eval_gpu(const std::vector<mx::array>&, mx::array&) override {
    throw std::runtime_error("[rms_norm] the CPU primitive ran on a GPU stream");
  }

  const char* name() const override { return "VmlxCpuRmsNorm"; }

  bool is_equivalent(const mx::Primitive& other) const override {
    return std::strcmp(other.name(), name()) == 0 && static_cast<const CpuRmsNorm&>(other).eps_ == eps_;
  }

 private:
  float eps_;
};

// MLX's fallback: cos and sin in float32, rounded to T; each product, then their difference or sum, rounded to T.
template <class T>
struct RopeJob {
  const T* x;  // [B, H, L, D]
  T* out;
  const int32_t* offsets;  // [1] or [B]
  int offsets_size;
  int B, H, L, D, dims;
  bool traditional;
  float scale;
  std::vector<float> inv_freqs;  // [dims / 2]
  size_t units;  // B * L positions
  int tasks;

  // Every head of row b at position index l.
  void unit(size_t u) const {
    const int b = static_cast<int>(u / L), l = static_cast<int>(u % L), half = dims / 2;
    const float pos = static_cast<float>(offsets[offsets_size == 1 ? 0 : b] + l) * scale;
    float cs[256], sn[256];  // half <= 256 (checked where the primitive is made)
    for (int i = 0; i < half; ++i) {
      const float theta = pos * inv_freqs[i];
      cs[i] = rounded<T>(std::cos(theta));
      sn[i] = rounded<T>(std::sin(theta));
    }
    for (int h = 0; h < H; ++h) {
      const size_t at = ((static_cast<size_t>(b) * H + h) * L + l) * D;
      const T* xr = x + at;
      T* o = out + at;
      for (int i = 0; i < half; ++i) {
        const int a = traditional ? 2 * i : i, c = traditional ? 2 * i + 1 : i + half;
        const float x1 = static_cast<float>(xr[a]), x2 = static_cast<float>(xr[c]);
        o[a] = static_cast<T>(rounded<T>(x1 * cs[i]) - rounded<T>(x2 * sn[i]));
        o[c] = static_cast<T>(rounded<T>(x1 * sn[i]) + rounded<T>(x2 * cs[i]));
      }
      for (int i = dims; i < D; ++i) o[i] = xr[i];
    }
  }
};

class CpuRope : public mx::UnaryPrimitive {
 public:
  CpuRope(mx::Stream s, int dims, bool traditional, std::optional<float> base, float scale)
      : mx::UnaryPrimitive(s), dims_(dims), traditional_(traditional), base_(base), scale_(scale) {}

  // Inputs: x [B, H, L, D] float32, int32 offsets [1] or [B], then float32 [dims / 2]: the inverse frequencies
  // made from base, or (base unset) the frequencies given, whose reciprocals the task takes.
  void eval_cpu(const std::vector<mx::array>& in, mx::array& out) override {
    require_plain(in, "rope");
    auto& encoder = cpu_output(in, out, stream());
    switch (out.dtype()) {
      case mx::float16: return run<mx::float16_t>(in, out, encoder);
      case mx::bfloat16: return run<mx::bfloat16_t>(in, out, encoder);
      default: return run<float>(in, out, encoder);
    }
  }

  template <class T>
  void run(const std::vector<mx::array>& in, mx::array& out, mx::cpu::CommandEncoder& encoder) {
    const auto& x = in[0];
    RopeJob<T> job{x.data<T>(), out.data<T>(), in[1].data<int32_t>(), static_cast<int>(in[1].size()),
                   x.shape(0), x.shape(1), x.shape(2), x.shape(3), dims_, traditional_, scale_, {}, 0, 1};
    // Input values are read in the task: here they may not be computed yet (only their buffers exist).
    const float* table = in[2].data<float>();
    encoder.dispatch([job = std::move(job), table, reciprocal = base_ == std::nullopt, n = out.size()]() mutable {
      job.inv_freqs.assign(table, table + job.dims / 2);
      if (reciprocal) {
        for (float& f : job.inv_freqs) f = 1.0f / f;
      }
      run_units(job, static_cast<size_t>(job.B) * job.L, n);
    });
  }

  void eval_gpu(const std::vector<mx::array>&, mx::array&) override {
    throw std::runtime_error("[rope] the CPU primitive ran on a GPU stream");
  }

  const char* name() const override { return "VmlxCpuRope"; }

  bool is_equivalent(const mx::Primitive& other) const override {
    if (std::strcmp(other.name(), name()) != 0) return false;
    const auto& o = static_cast<const CpuRope&>(other);
    return o.dims_ == dims_ && o.traditional_ == traditional_ && o.base_ == base_ && o.scale_ == scale_;
  }

 private:
  int dims_;
  bool traditional_;
  std::optional<float> base_;
  float scale_;
};

// base^(-2i / dims) as MLX's fallback computes it, exp(-i * (log(base) / (dims / 2))) with MLX's own float32 exp
// (which is not correctly rounded: positions in the thousands turn its last bits into 1e-4 of an angle), made once
// for each (dims, base) and kept.
mx::array default_inv_freqs(int dims, float base, const mx::Stream& cpu) {
  static std::mutex mutex;
  static auto* tables = new std::map<std::pair<int, float>, mx::array>();  // never destroyed: outlives exit handlers
  std::lock_guard<std::mutex> lock(mutex);
  auto it = tables->find({dims, base});
  if (it == tables->end()) {
    const int half = dims / 2;
    auto inv = mx::exp(mx::multiply(mx::arange(0, -half, -1, mx::float32, cpu),
                                    mx::array(std::log(base) / half, mx::float32), cpu), cpu);
    mx::eval(inv);
    it = tables->emplace(std::make_pair(dims, base), inv).first;
  }
  return it->second;
}

// A float32, float16 or bfloat16 array on a CPU stream: the dtypes the primitives compute in (as MLX rounds).
bool cpu_float(const mx::array& a, const mx::Stream& s) {
  const auto t = a.dtype();
  return s.device == mx::Device::cpu && (t == mx::float32 || t == mx::float16 || t == mx::bfloat16);
}

}  // namespace

mx::array vmlx::rms_norm(const mx::array& x, const std::optional<mx::array>& weight, float eps, const mx::Stream& s) {
  const bool ours = cpu_float(x, s) && x.ndim() >= 1 && x.shape(-1) > 0 &&
                    (!weight ||
                     (weight->dtype() == x.dtype() && weight->ndim() == 1 && weight->shape(0) == x.shape(-1)));
  if (!ours) return mx::fast::rms_norm(x, weight, eps, s);
  std::vector<mx::array> inputs{plain_input(x, s)};
  if (weight) inputs.push_back(plain_input(*weight, s));
  return mx::array(x.shape(), x.dtype(), std::make_shared<CpuRmsNorm>(s, eps), std::move(inputs));
}

mx::array vmlx::rope(const mx::array& x, int dims, bool traditional, std::optional<float> base, float scale,
                     const std::variant<int, mx::array>& offset, const std::optional<mx::array>& freqs,
                     const mx::Stream& s) {
  const auto* offsets = std::get_if<mx::array>(&offset);
  const bool ours = cpu_float(x, s) && x.ndim() == 4 && dims > 0 && dims % 2 == 0 && dims <= x.shape(3) &&
                    dims <= 512 && (base.has_value() != freqs.has_value()) &&
                    (!freqs || (freqs->dtype() == mx::float32 && freqs->size() == static_cast<size_t>(dims / 2))) &&
                    (!offsets || (offsets->dtype() == mx::int32 &&
                                  (offsets->size() == 1 || (offsets->ndim() == 1 && offsets->shape(0) == x.shape(0)))));
  if (!ours) {
    if (offsets) return mx::fast::rope(x, dims, traditional, base, scale, *offsets, freqs, s);
    return mx::fast::rope(x, dims, traditional, base, scale, std::get<int>(offset), freqs, s);
  }
  std::vector<mx::array> inputs{plain_input(x, s)};
  inputs.push_back(offsets ? plain_input(*offsets, s) : mx::array(std::get<int>(offset), mx::int32));
  inputs.push_back(freqs ? plain_input(*freqs, s) : default_inv_freqs(dims, *base, s));
  return mx::array(x.shape(), x.dtype(), std::make_shared<CpuRope>(s, dims, traditional, base, scale),
                   std::move(inputs));
}
