// vmlx_scaled_dot_product_attention: MLX's fused SDPA, or on a CPU stream a float32 kernel of ours for the
// unmasked and causal cases. MLX's CPU fallback runs attention as matmuls through the BLAS that its wheel links
// (the reference netlib BLAS on Linux), which dominated prefill of small models once the quantized matmuls were
// fast. The kernel: per query row, scores against the visible keys, a max-shifted softmax, then the weighted sum
// of the values, all in float32; rows of (batch, head, query block) are spread over the thread pool.
#include <mlx/backend/cpu/encoder.h>
#include <mlx/primitives.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "ops_nn_util.h"
#include "thread_pool.h"

using namespace vmlx;

namespace {

#define REQUIRE(ok, msg) VMLX_REQUIRE("scaled_dot_product_attention", ok, msg)

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__APPLE__)
// Plain loops, compiled twice (AVX2 + FMA and the baseline) and picked at load time by the CPU.
#define VMLX_CLONES __attribute__((target_clones("arch=haswell", "default")))
#else
#define VMLX_CLONES
#endif

constexpr int QUERY_BLOCK = 8;

struct Job {
  const float *q, *k, *v;
  float* out;
  int B, H, Hkv, L, S, D;
  float scale;
  bool causal;
};

// One query row: out = softmax(scale * K q) V over keys [0, limit).
VMLX_CLONES void attend_row(const float* q, const float* k, const float* v, float* out, int limit, int D, float scale,
                            float* scores) {
  float top = -INFINITY;
  for (int j = 0; j < limit; ++j) {
    const float* kj = k + static_cast<size_t>(j) * D;
    float part[8] = {};
    int d = 0;
    for (; d + 8 <= D; d += 8) {
      for (int t = 0; t < 8; ++t) part[t] += q[d + t] * kj[d + t];
    }
    float dot = 0.0f;
    for (; d < D; ++d) dot += q[d] * kj[d];
    for (int t = 0; t < 8; ++t) dot += part[t];
    scores[j] = dot * scale;
    top = std::max(top, scores[j]);
  }
  float sum = 0.0f;
  for (int j = 0; j < limit; ++j) {
    scores[j] = std::exp(scores[j] - top);
    sum += scores[j];
  }
  for (int d = 0; d < D; ++d) out[d] = 0.0f;
  for (int j = 0; j < limit; ++j) {
    const float* vj = v + static_cast<size_t>(j) * D;
    const float p = scores[j];
    for (int d = 0; d < D; ++d) out[d] += p * vj[d];
  }
  const float inv = 1.0f / sum;
  for (int d = 0; d < D; ++d) out[d] *= inv;
}

void attend_task(void* ctx, int t) {
  const Job& j = *static_cast<const Job*>(ctx);
  const int blocks = (j.L + QUERY_BLOCK - 1) / QUERY_BLOCK;
  const int bh = t / blocks, i0 = (t % blocks) * QUERY_BLOCK, i1 = std::min(j.L, i0 + QUERY_BLOCK);
  const int b = bh / j.H, h = bh % j.H, hk = h / (j.H / j.Hkv);
  thread_local std::vector<float> scores;
  if (scores.size() < static_cast<size_t>(j.S)) scores.resize(j.S);
  const size_t kv_at = (static_cast<size_t>(b) * j.Hkv + hk) * j.S * j.D;
  for (int i = i0; i < i1; ++i) {
    const size_t row = (static_cast<size_t>(bh) * j.L + i) * j.D;
    int limit = j.causal ? j.S - j.L + i + 1 : j.S;
    attend_row(j.q + row, j.k + kv_at, j.v + kv_at, j.out + row, limit, j.D, j.scale, scores.data());
  }
}

class CpuAttention : public mx::UnaryPrimitive {
 public:
  CpuAttention(mx::Stream s, float scale, bool causal) : mx::UnaryPrimitive(s), scale_(scale), causal_(causal) {}

  void eval_cpu(const std::vector<mx::array>& in, mx::array& out) override {
    const auto &q = in[0], &k = in[1], &v = in[2];
    out.set_data(mx::allocator::malloc(out.nbytes()));
    auto& encoder = mx::cpu::get_command_encoder(stream());
    for (const auto& a : in) encoder.set_input_array(a);
    encoder.set_output_array(out);
    Job job{q.data<float>(), k.data<float>(), v.data<float>(), out.data<float>(), q.shape(0), q.shape(1), k.shape(1),
            q.shape(2), k.shape(2), q.shape(3), scale_, causal_};
    encoder.dispatch([job]() {
      int tasks = job.B * job.H * ((job.L + QUERY_BLOCK - 1) / QUERY_BLOCK);
      vmlx::ThreadPool::instance().run(tasks, attend_task, const_cast<Job*>(&job));
    });
  }

  void eval_gpu(const std::vector<mx::array>&, mx::array&) override {
    throw std::runtime_error("[scaled_dot_product_attention] the CPU kernel's primitive ran on a GPU stream");
  }

  const char* name() const override { return "VmlxCpuAttention"; }

  bool is_equivalent(const mx::Primitive& other) const override {
    if (std::strcmp(other.name(), name()) != 0) return false;
    const auto& o = static_cast<const CpuAttention&>(other);
    return o.scale_ == scale_ && o.causal_ == causal_;
  }

 private:
  float scale_;
  bool causal_;
};

bool kernel_serves(const mx::array& q, const mx::array& k, const mx::array& v, const std::string& mask_mode,
                   const std::optional<mx::array>& mask, const std::optional<mx::array>& sinks, const mx::Stream& s) {
  if (s.device != mx::Device::cpu || mask || sinks || (mask_mode != "" && mask_mode != "causal")) return false;
  if (q.ndim() != 4 || k.ndim() != 4 || v.shape() != k.shape()) return false;
  if (q.dtype() != mx::float32 || k.dtype() != mx::float32 || v.dtype() != mx::float32) return false;
  if (q.shape(0) != k.shape(0) || q.shape(3) != k.shape(3) || k.shape(1) == 0 || q.shape(1) % k.shape(1) != 0) {
    return false;
  }
  // Causal attention places the queries at the last L key positions.
  return k.shape(2) > 0 && (mask_mode != "causal" || q.shape(2) <= k.shape(2));
}

mx::array attention(const mx::array& q, const mx::array& k, const mx::array& v, float scale,
                    const std::string& mask_mode, const std::optional<mx::array>& mask,
                    const std::optional<mx::array>& sinks, const std::string& path, const mx::Stream& s) {
  REQUIRE(path == "auto" || path == "mlx" || path == "kernel",
          "path must be \"auto\", \"mlx\" or \"kernel\", got \"" + path + "\"");
  bool serves = path != "mlx" && kernel_serves(q, k, v, mask_mode, mask, sinks, s);
  REQUIRE(serves || path != "kernel", "the CPU kernel serves float32 [B, H, L, D] attention without a mask array "
                                      "or sinks (no mask or causal) on a CPU stream");
  if (!serves) {
    return mx::fast::scaled_dot_product_attention(q, k, v, scale, mask_mode, mask, sinks, false, s);
  }
  bool causal = mask_mode == "causal" && q.shape(2) > 1;
  return mx::array(q.shape(), mx::float32, std::make_shared<CpuAttention>(s, scale, causal),
                   {mx::contiguous(q, false, s), mx::contiguous(k, false, s), mx::contiguous(v, false, s)});
}

}  // namespace

extern "C" {

int vmlx_scaled_dot_product_attention(mlx_array* res, const mlx_array queries, const mlx_array keys,
                                      const mlx_array values, float scale, const char* mask_mode,
                                      const mlx_array mask_arr, const mlx_array sinks, const char* path,
                                      const mlx_stream s) {
  VMLX_TRY(assign(res, attention(arr(queries), arr(keys), arr(values), scale, str_or(mask_mode, ""),
                                 opt_arr(mask_arr), opt_arr(sinks), str_or(path, "auto"), stream(s))))
}

}  // extern "C"
