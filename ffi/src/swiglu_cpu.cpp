// SwiGLU on a CPU stream in float32, silu(gate) * up, as one primitive with a vectorized exp: MLX's compiled kernel
// of the same chain (compiled.cpp) is generated C++ that calls a one-lane exp, 10-15% of a prefill of the default
// model. Same formula as MLX's: g * (1 / (1 + exp(-g))) * up, in float32; the exp is another approximation, within
// a few ulps of MLX's. float16 and bfloat16 chains keep the compiled kernel, whose roundings after every op this
// does not reproduce.
#include <mlx/backend/cpu/encoder.h>
#include <mlx/primitives.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "fused_ops.h"
#include "ops_nn_util.h"
#include "plain_input.h"
#include "thread_pool.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define VMLX_HAS_AVX2_PATH 1
#define VMLX_AVX2 __attribute__((target("avx2,fma")))
#endif

using namespace vmlx;

namespace {

struct Job {
  const float* gate;
  const float* up;
  float* out;
  size_t n;
  int tasks;
};

// Elements [i0, i1) one at a time (the tail of the vector path, and CPUs without AVX2).
void scalar_range(const Job& j, size_t i0, size_t i1) {
  for (size_t i = i0; i < i1; ++i) {
    const float g = j.gate[i];
    j.out[i] = g * (1.0f / (1.0f + std::exp(-g))) * j.up[i];
  }
}

#ifdef VMLX_HAS_AVX2_PATH
// exp(x) for float32 lanes: x = n ln2 + r with |r| <= ln2 / 2, a degree-6 polynomial for exp(r) (Cephes' expf
// coefficients), times 2^n. Relative error about 2 ulps; inputs past +-88.38 are clamped.
VMLX_AVX2 inline __m256 exp8(__m256 x) {
  x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-88.3762626647949f)), _mm256_set1_ps(88.3762626647949f));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  // 2^n for n in [-128, 128], in two factors so that neither exponent leaves the normal range
  const __m256i ni = _mm256_cvtps_epi32(n);
  const __m256i half = _mm256_srai_epi32(ni, 1);
  const __m256 a = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(half, _mm256_set1_epi32(127)), 23));
  const __m256 b = _mm256_castsi256_ps(
      _mm256_slli_epi32(_mm256_add_epi32(_mm256_sub_epi32(ni, half), _mm256_set1_epi32(127)), 23));
  return _mm256_mul_ps(_mm256_mul_ps(p, a), b);
}

VMLX_AVX2 size_t avx2_range(const Job& j, size_t i0, size_t i1) {
  const __m256 one = _mm256_set1_ps(1.0f);
  size_t i = i0;
  for (; i + 8 <= i1; i += 8) {
    const __m256 g = _mm256_loadu_ps(j.gate + i);
    const __m256 s = _mm256_div_ps(one, _mm256_add_ps(one, exp8(_mm256_sub_ps(_mm256_setzero_ps(), g))));
    _mm256_storeu_ps(j.out + i, _mm256_mul_ps(_mm256_mul_ps(g, s), _mm256_loadu_ps(j.up + i)));
  }
  return i;
}

// VMLX_SWIGLU_SCALAR=1 keeps the one-lane loop (to compare the two)
bool use_avx2() {
  static const bool yes = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                          std::getenv("VMLX_SWIGLU_SCALAR") == nullptr;
  return yes;
}
#endif

void task(void* ctx, int t) {
  const Job& j = *static_cast<const Job*>(ctx);
  // Task boundaries on multiples of 8, so every task but the last runs whole vectors
  const size_t chunk = ((j.n + j.tasks - 1) / j.tasks + 7) / 8 * 8;
  const size_t i0 = std::min(j.n, chunk * t), i1 = std::min(j.n, i0 + chunk);
  size_t i = i0;
#ifdef VMLX_HAS_AVX2_PATH
  if (use_avx2()) i = avx2_range(j, i0, i1);
#endif
  scalar_range(j, i, i1);
}

// Elements below which the work stays on the calling thread.
constexpr size_t PARALLEL_MIN = 1 << 15;

class CpuSwiglu : public mx::UnaryPrimitive {
 public:
  explicit CpuSwiglu(mx::Stream s) : mx::UnaryPrimitive(s) {}

  void eval_cpu(const std::vector<mx::array>& in, mx::array& out) override {
    const auto &g = in[0], &u = in[1];
    require_plain(in, "swiglu");
    auto& encoder = cpu_output(in, out, stream());
    Job job{g.data<float>(), u.data<float>(), out.data<float>(), out.size(), 1};
    encoder.dispatch([job]() mutable {
      auto& pool = vmlx::ThreadPool::instance();
      job.tasks = job.n < PARALLEL_MIN ? 1 : pool.size() * 4;
      pool.run(job.tasks, task, &job);
    });
  }

  void eval_gpu(const std::vector<mx::array>&, mx::array&) override {
    throw std::runtime_error("[swiglu] the CPU primitive ran on a GPU stream");
  }

  const char* name() const override { return "VmlxCpuSwiglu"; }

  bool is_equivalent(const mx::Primitive& other) const override { return std::strcmp(other.name(), name()) == 0; }
};

}  // namespace

std::optional<mx::array> vmlx::cpu_swiglu(const mx::array& gate, const mx::array& up, const mx::Stream& s) {
  if (s.device != mx::Device::cpu || gate.dtype() != mx::float32 || up.dtype() != mx::float32 ||
      gate.shape() != up.shape()) {
    return std::nullopt;
  }
  return mx::array(gate.shape(), mx::float32, std::make_shared<CpuSwiglu>(s),
                   {plain_input(gate, s), plain_input(up, s)});
}
