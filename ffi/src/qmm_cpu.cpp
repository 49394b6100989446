// The CPU quantized matmul's driver: picks the instruction set, converts and packs x, splits the output columns
// over the thread pool and runs the per-ISA kernels (qmm_cpu_scalar.cpp, qmm_cpu_avx2.cpp, qmm_cpu_avx512.cpp).
//
// Decode (M <= GEMV_MAX_ROWS) is bandwidth-bound: each weight row is unpacked once and dotted with every row of x,
// per group s * (q . x) + b * sum(x). Larger M packs x into MR-row panels once, and each task dequantizes up to
// NC columns of W to float32 (NR-column panels, [K][NR]) and runs the MR x NR register-tiled micro-kernel over
// every x panel, so a dequantized panel is reused M / MR times from cache.
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <vector>

#include "qmm_cpu.h"
#include "thread_pool.h"

namespace vmlx::qmm_cpu {
namespace {

// Multiply-adds below which the work stays on the calling thread.
constexpr long PARALLEL_MIN_WORK = 1L << 16;
// Output columns per GEMM task at most (a multiple of NR and NR_WIDE): the task's dequantized panels stay in L2.
constexpr int NC_MAX = 64;

std::atomic<int> g_isa{-1};

size_t dtype_size(Dtype dt) { return dt == Dtype::f32 ? 4 : 2; }

const Kernels& kernels() {
  switch (active_isa()) {
    case Isa::amx: return *amx_kernels();
    case Isa::avx512bf16: return *avx512bf16_kernels();
    case Isa::avx512: return *avx512_kernels();
    case Isa::avx2: return *avx2_kernels();
    default: return scalar_kernels();
  }
}

bool cpu_has_avx2() {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  return avx2_kernels() && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
         __builtin_cpu_supports("f16c");
#else
  return false;
#endif
}

bool cpu_has_avx512() {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  return cpu_has_avx2() && avx512_kernels() && __builtin_cpu_supports("avx512f") &&
         __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
#else
  return false;
#endif
}

bool cpu_has_avx512bf16() {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  return cpu_has_avx512() && avx512bf16_kernels() && __builtin_cpu_supports("avx512dq") &&
         __builtin_cpu_supports("avx512bf16");
#else
  return false;
#endif
}

// Whether this CPU and build can run `isa`.
bool available(Isa isa) {
  switch (isa) {
    case Isa::amx: return cpu_has_avx512bf16() && amx_kernels();
    case Isa::avx512bf16: return cpu_has_avx512bf16();
    case Isa::avx512: return cpu_has_avx512();
    case Isa::avx2: return cpu_has_avx2();
    default: return true;
  }
}

// A buffer reused across calls on the same thread (the MLX CPU stream's thread or a pool worker).
float* scratch(std::vector<float>& buf, size_t count) {
  if (buf.size() < count) buf.resize(count);
  return buf.data();
}

int num_tasks(long work, int units) {
  if (work < PARALLEL_MIN_WORK) return 1;
  return std::max(1, std::min(units, ThreadPool::instance().size() * 4));
}

struct GemvJob {
  const Kernels* k;
  GemvArgs args;
  int tasks;
};

void gemv_task(void* ctx, int t) {
  auto& job = *static_cast<GemvJob*>(ctx);
  const int N = job.args.p->N;
  int n0 = static_cast<int>(static_cast<long>(N) * t / job.tasks);
  int n1 = static_cast<int>(static_cast<long>(N) * (t + 1) / job.tasks);
  job.k->gemv(job.args, n0, n1);
}

void run_gemv(const Problem& p, const Kernels& k) {
  thread_local std::vector<float> xbuf, sumbuf, resbuf;
  const int groups = p.K / p.group;
  float* x = scratch(xbuf, static_cast<size_t>(p.M) * p.K);
  k.to_float(p.x, p.x_dtype, x, p.M * p.K);
  float* xsum = scratch(sumbuf, static_cast<size_t>(p.M) * groups);
  for (int m = 0; m < p.M; ++m) {
    for (int g = 0; g < groups; ++g) {
      const float* xg = x + static_cast<size_t>(m) * p.K + g * p.group;
      float s = 0.0f;
      for (int i = 0; i < p.group; ++i) s += xg[i];
      xsum[m * groups + g] = s;
    }
  }
  float* res = p.out_dtype == Dtype::f32 ? static_cast<float*>(p.out) : scratch(resbuf, static_cast<size_t>(p.M) * p.N);
  GemvJob job{&k, GemvArgs{&p, p.M, x, xsum, res}, 0};
  job.tasks = num_tasks(static_cast<long>(p.M) * p.N * p.K, (p.N + 7) / 8);
  ThreadPool::instance().run(job.tasks, gemv_task, &job);
  if (p.out_dtype != Dtype::f32) k.from_float(res, p.out_dtype, p.out, p.M * p.N);
}

struct GemmJob {
  const Problem* p;
  const Kernels* k;
  float* xpack;  // [ceil(M / MR)][K][MR]
  int panels_m;
  int nc;        // columns per task, a multiple of the kernels' nr
};

void pack_task(void* ctx, int mb) {
  auto& job = *static_cast<GemmJob*>(ctx);
  const Problem& p = *job.p;
  thread_local std::vector<float> rowbuf;
  float* row = scratch(rowbuf, p.K);
  float* dst = job.xpack + static_cast<size_t>(mb) * p.K * MR;
  const size_t esize = dtype_size(p.x_dtype);
  for (int r = 0; r < MR; ++r) {
    int m = mb * MR + r;
    if (m < p.M) {
      job.k->to_float(static_cast<const char*>(p.x) + static_cast<size_t>(m) * p.K * esize, p.x_dtype, row, p.K);
      for (int kk = 0; kk < p.K; ++kk) dst[static_cast<size_t>(kk) * MR + r] = row[kk];
    } else {
      for (int kk = 0; kk < p.K; ++kk) dst[static_cast<size_t>(kk) * MR + r] = 0.0f;
    }
  }
}

void gemm_task(void* ctx, int t) {
  auto& job = *static_cast<GemmJob*>(ctx);
  const Problem& p = *job.p;
  const Kernels& k = *job.k;
  const int K = p.K, nr = k.nr;
  const int n_begin = t * job.nc, n_end = std::min(p.N, n_begin + job.nc);
  const int panels_n = (n_end - n_begin + nr - 1) / nr;
  thread_local std::vector<float> wbuf, rowbuf;
  float* wpack = scratch(wbuf, static_cast<size_t>(panels_n) * K * nr);  // [panels_n][K][nr]
  float* row = scratch(rowbuf, K);
  for (int j = 0; j < panels_n * nr; ++j) {
    float* dst = wpack + static_cast<size_t>(j / nr) * K * nr + j % nr;
    int n = n_begin + j;
    if (n < n_end) k.dequant_row(p, n, row);
    for (int kk = 0; kk < K; ++kk) dst[static_cast<size_t>(kk) * nr] = n < n_end ? row[kk] : 0.0f;
  }
  const size_t esize = dtype_size(p.out_dtype);
  alignas(64) float tile[MR * NR_WIDE];
  for (int mb = 0; mb < job.panels_m; ++mb) {
    const float* a = job.xpack + static_cast<size_t>(mb) * K * MR;
    const int rows = std::min(MR, p.M - mb * MR);
    for (int pn = 0; pn < panels_n; ++pn) {
      k.micro(a, wpack + static_cast<size_t>(pn) * K * nr, K, tile);
      const int n0 = n_begin + pn * nr, cols = std::min(nr, n_end - n0);
      for (int r = 0; r < rows; ++r) {
        size_t at = static_cast<size_t>(mb * MR + r) * p.N + n0;
        k.from_float(tile + r * nr, p.out_dtype, static_cast<char*>(p.out) + at * esize, cols);
      }
    }
  }
}

void run_gemm(const Problem& p, const Kernels& k) {
  thread_local std::vector<float> xbuf;
  GemmJob job{&p, &k, nullptr, (p.M + MR - 1) / MR, k.nr};
  job.xpack = scratch(xbuf, static_cast<size_t>(job.panels_m) * p.K * MR);
  ThreadPool& pool = ThreadPool::instance();
  pool.run(job.panels_m, pack_task, &job);  // task t packs x panel t
  // Enough tasks to balance the threads, each at most NC_MAX columns.
  int per_task = (p.N + pool.size() * 2 - 1) / (pool.size() * 2);
  job.nc = std::clamp((per_task + k.nr - 1) / k.nr * k.nr, k.nr, NC_MAX);
  int tasks = (p.N + job.nc - 1) / job.nc;
  if (static_cast<long>(p.M) * p.N * p.K < PARALLEL_MIN_WORK) {
    for (int t = 0; t < tasks; ++t) gemm_task(&job, t);
  } else {
    pool.run(tasks, gemm_task, &job);
  }
}

}  // namespace

bool supports(int bits, int group, int K) {
  return (bits == 4 || bits == 8) && (group == 32 || group == 64 || group == 128) && K > 0 && K % group == 0;
}

Isa best_isa() {
  // avx512bf16 only when named: its GEMV measured no faster in a decode (qmm_cpu_bf16.cpp)
  if (available(Isa::amx)) return Isa::amx;
  if (available(Isa::avx512)) return Isa::avx512;
  if (available(Isa::avx2)) return Isa::avx2;
  return Isa::scalar;
}

Isa active_isa() {
  int isa = g_isa.load(std::memory_order_relaxed);
  if (isa < 0) {
    // VMLX_QMM_ISA names an instruction set to use where this CPU has it
    const char* env = std::getenv("VMLX_QMM_ISA");
    const auto named = env ? isa_named(env) : std::nullopt;
    isa = static_cast<int>(named && available(*named) ? *named : best_isa());
    g_isa.store(isa, std::memory_order_relaxed);
  }
  return static_cast<Isa>(isa);
}

bool set_isa(Isa isa) {
  if (!available(isa)) return false;
  g_isa.store(static_cast<int>(isa), std::memory_order_relaxed);
  return true;
}

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::amx: return "amx";
    case Isa::avx512bf16: return "avx512bf16";
    case Isa::avx512: return "avx512";
    case Isa::avx2: return "avx2";
    default: return "scalar";
  }
}

std::optional<Isa> isa_named(const std::string& name) {
  if (name == "auto") return best_isa();
  for (Isa isa : {Isa::scalar, Isa::avx2, Isa::avx512, Isa::avx512bf16, Isa::amx}) {
    if (name == isa_name(isa)) return isa;
  }
  return std::nullopt;
}

void run(const Problem& p) {
  if (p.M == 0 || p.N == 0) return;
  const Kernels& k = kernels();
  if (p.M <= GEMV_MAX_ROWS) {
    run_gemv(p, k);
  } else if (k.gemm) {
    k.gemm(p);
  } else {
    run_gemm(p, k);
  }
}

}  // namespace vmlx::qmm_cpu
