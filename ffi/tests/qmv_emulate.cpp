// Runs the body of ffi/kernels/qmv.cu (the CUDA matrix-vector kernel) on the host: each warp's 32 lanes are 32
// threads, and __shfl_xor_sync exchanges through a barrier, so the kernel's own indexing, unrolling, remainders,
// unaligned fallbacks and reduction run as written, against a float64 reference of x @ dequantize(w)^T. It checks
// the kernel's logic on machines without a GPU (src/mlx/ops/qmv-emulate.test.ts compiles and runs it); speed and
// the device's own arithmetic are checked on a GPU (nn-quantized-gpu.test.ts).
//   g++ -std=c++20 -O1 -pthread -I ffi/kernels ffi/tests/qmv_emulate.cpp -o qmv_emulate && ./qmv_emulate
// Prints one line a case and exits 1 when any case is off by more than its tolerance.
#include <cmath>
#include <cstdio>
#include <random>
#include <thread>
#include <vector>

#include "warp_emulate.h"

namespace emu {

// One block runs at a time, so a function-level static is the block's shared memory.
#define __shared__ static
template <typename T, int BITS, int G, int M, int NW, int COLS, int UNROLL>
void body(const T* x, const uint32_t* w, const T* scales, const T* biases, T* out, const int* w_shape) {
#include "qmv.cu"
}
#undef __shared__

template <typename T>
float to_float(T v) {
  return static_cast<float>(v);
}

constexpr int NW = 8;  // warps a block, as ffi/src/cuda/qmv_cuda.cpp launches

// Runs the grid as ffi/src/cuda/qmv_cuda.cpp launches it for KS slices of K: blocks of (32 * NW / KS, KS) threads,
// each block's threads at once (lanes of a warp share shuffles, the block a barrier), one block after another.
template <typename T, int BITS, int G, int M, int COLS, int UNROLL>
void launch(const T* x, const uint32_t* w, const T* scales, const T* biases, T* out, int K, int N, int KS) {
  const int w_shape[2] = {N, K * BITS / 32};
  const int col_groups = NW / KS;
  const int blocks = (N + col_groups * COLS - 1) / (col_groups * COLS);
  for (int b = 0; b < blocks; b++) {
    Warp warps[NW];
    std::barrier<> bar(32 * NW);
    std::vector<std::thread> threads;
    for (int y = 0; y < KS; y++) {
      for (int t = 0; t < 32 * col_groups; t++) {
        threads.emplace_back([&, y, t] {
          blockIdx = {b, 0, 0};
          blockDim = {32 * col_groups, KS, 1};
          threadIdx = {t, y, 0};
          warp = &warps[y * col_groups + t / 32];
          block = &bar;
          body<T, BITS, G, M, NW, COLS, UNROLL>(x, w, scales, biases, out, w_shape);
        });
      }
    }
    for (auto& t : threads) t.join();
  }
}

enum Misalign { ALIGNED = 0, X_UNALIGNED = 1, W_UNALIGNED = 2 };

// One case: random x, weights, scales and biases; the kernel's [M, N] against a float64 product; every output written
// once and nothing past it.
template <typename T, int BITS, int G, int M, int COLS, int UNROLL>
bool check(const char* tname, int N, int K, int KS, int misalign, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> U(-1.0f, 1.0f);
  const int words = K * BITS / 32, groups = K / G;
  std::vector<T> xs(M * K + 1), sc(N * groups), bi(N * groups);
  std::vector<uint32_t> ws(N * words + 1);
  for (auto& v : xs) v = T(U(rng));
  for (auto& v : sc) v = T(U(rng) * 0.05f);
  for (auto& v : bi) v = T(U(rng) * 0.5f);
  for (auto& v : ws) v = static_cast<uint32_t>(rng());
  const T* x = xs.data() + ((misalign & X_UNALIGNED) ? 1 : 0);
  const uint32_t* w = ws.data() + ((misalign & W_UNALIGNED) ? 1 : 0);
  constexpr int GUARD = 64;
  std::vector<T> out(M * N + GUARD, T(std::nanf("")));
  const T sentinel = T(12345.0f);
  for (int i = M * N; i < M * N + GUARD; i++) out[i] = sentinel;
  launch<T, BITS, G, M, COLS, UNROLL>(x, w, sc.data(), bi.data(), out.data(), K, N, KS);
  double worst = 0;
  for (int m = 0; m < M; m++) {
    for (int n = 0; n < N; n++) {
      double acc = 0, mag = 0;
      for (int k = 0; k < K; k++) {
        const uint32_t q = (w[n * words + k / (32 / BITS)] >> (BITS * (k % (32 / BITS)))) & ((1u << BITS) - 1u);
        const double wk = double(to_float(sc[n * groups + k / G])) * q + double(to_float(bi[n * groups + k / G]));
        acc += double(to_float(x[m * K + k])) * wk;
        mag += std::fabs(double(to_float(x[m * K + k])) * wk);
      }
      // float32 sums: a few roundings of |x||w|; a bfloat16 output adds one rounding of the result.
      const double tol = 1e-5 * mag + (sizeof(T) == 2 ? std::fabs(acc) * std::ldexp(1.0, -8) : 0.0);
      const double err = std::fabs(double(to_float(out[m * N + n])) - acc);
      const double ratio = tol > 0 ? err / tol : err;
      if (!(ratio <= worst)) worst = ratio;  // a NaN (an output never written) stays
    }
  }
  bool guard_ok = true;
  for (int i = M * N; i < M * N + GUARD; i++) guard_ok = guard_ok && to_float(out[i]) == to_float(sentinel);
  const bool ok = worst <= 1.0 && guard_ok;
  std::printf("%s %s bits %d group %d rows %d cols %d unroll %d slices %d N %d K %d%s%s: worst error %.3f of "
              "tolerance%s\n", ok ? "ok  " : "FAIL", tname, BITS, G, M, COLS, UNROLL, KS, N, K,
              (misalign & X_UNALIGNED) ? " (x unaligned)" : "", (misalign & W_UNALIGNED) ? " (w unaligned)" : "",
              worst, guard_ok ? "" : ", wrote past the output");
  return ok;
}

}  // namespace emu

int main() {
  using emu::bf16;
  using emu::check;
  using emu::X_UNALIGNED;
  using emu::W_UNALIGNED;
  int failed = 0, total = 0;
  auto count = [&](bool ok) {
    total++;
    failed += !ok;
  };
  // N 37 / 45 / 19: a partial last block and column group (COLS 8: 4 full + 5). K 2176: a row's 16-byte loads not a
  // multiple of 32 (a partial last pass: 68 loads at 4 bits, 136 at 8). K 1024 with slices 2 and 4096 with slices 8:
  // slices without a pass. The launcher's layouts (ffi/src/cuda/qmv_cuda.cpp: cols 8 unroll 1 to 4 rows, cols 4
  // unroll 2 past) and others (cols 2).
  count(check<float, 4, 64, 1, 8, 1>("float32", 37, 2176, 1, 0, 1));
  count(check<float, 4, 32, 3, 8, 1>("float32", 37, 2176, 2, X_UNALIGNED, 2));
  count(check<float, 4, 128, 8, 4, 2>("float32", 19, 1024, 2, 0, 3));
  count(check<float, 8, 64, 2, 8, 1>("float32", 37, 2176, 4, 0, 4));
  count(check<float, 8, 128, 1, 2, 4>("float32", 37, 1152, 1, X_UNALIGNED | W_UNALIGNED, 5));
  count(check<float, 4, 64, 7, 4, 2>("float32", 70, 4608, 8, W_UNALIGNED, 6));
  count(check<bf16, 4, 64, 1, 8, 1>("bfloat16", 203, 4096, 4, 0, 7));
  count(check<bf16, 4, 64, 4, 8, 1>("bfloat16", 37, 4096, 8, X_UNALIGNED, 8));
  count(check<bf16, 8, 32, 3, 4, 2>("bfloat16", 37, 2176, 1, 0, 9));
  count(check<bf16, 4, 128, 8, 4, 2>("bfloat16", 45, 2176, 4, X_UNALIGNED, 10));
  count(check<bf16, 8, 64, 8, 4, 2>("bfloat16", 37, 2176, 2, 0, 11));
  count(check<bf16, 4, 32, 5, 2, 4>("bfloat16", 11, 4096, 1, W_UNALIGNED, 12));
  count(check<bf16, 8, 128, 2, 8, 1>("bfloat16", 64, 1536, 8, X_UNALIGNED, 13));
  // Past 8 rows (x read 8 rows at a time): the launcher's 2 columns a warp and 4 passes, 11 rows (a partial second
  // group of rows) and 16 (two full groups).
  count(check<float, 4, 64, 11, 2, 4>("float32", 37, 2176, 2, X_UNALIGNED, 14));
  count(check<bf16, 4, 64, 16, 2, 4>("bfloat16", 45, 4096, 4, 0, 15));
  count(check<bf16, 8, 32, 16, 2, 4>("bfloat16", 19, 2176, 1, W_UNALIGNED, 16));
  std::printf("%d passed, %d failed\n", total - failed, failed);
  return failed ? 1 : 0;
}
