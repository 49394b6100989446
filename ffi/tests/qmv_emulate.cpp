// Runs the body of ffi/kernels/qmv.cu (the CUDA matrix-vector kernel) on the host: each warp's 32 lanes are 32
// threads, and __shfl_xor_sync exchanges through a barrier, so the kernel's own indexing, unrolling, remainders,
// unaligned fallbacks and reduction run as written, against a float64 reference of x @ dequantize(w)^T. It checks
// the kernel's logic on machines without a GPU (src/mlx/ops/qmv-emulate.test.ts compiles and runs it); speed and
// the device's own arithmetic are checked on a GPU (nn-quantized-gpu.test.ts).
//   g++ -std=c++20 -O1 -pthread -I ffi/kernels ffi/tests/qmv_emulate.cpp -o qmv_emulate && ./qmv_emulate
// Prints one line a case and exits 1 when any case is off by more than its tolerance.
#include <barrier>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

namespace emu {

struct uint4 {
  uint32_t x, y, z, w;
};
struct float4 {
  float x, y, z, w;
};
inline uint4 make_uint4(uint32_t a, uint32_t b, uint32_t c, uint32_t d) { return {a, b, c, d}; }
inline float __uint_as_float(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

// bfloat16 as the device stores it: the high half of a float32, rounded to nearest even.
struct bf16 {
  uint16_t bits;
  bf16() = default;
  explicit bf16(float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    bits = static_cast<uint16_t>((u + 0x7FFFu + ((u >> 16) & 1u)) >> 16);
  }
  explicit operator float() const {
    uint32_t u = uint32_t(bits) << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
  }
};

struct Dim3 {
  int x, y, z;
};

// One warp's lanes: shuffle slots and the barrier they meet at.
struct Warp {
  float slots[32];
  std::barrier<> sync{32};
};

thread_local Dim3 threadIdx;
thread_local Dim3 blockIdx;
thread_local Warp* warp;

inline float __shfl_xor_sync(unsigned, float v, int mask) {
  const int lane = threadIdx.x % 32;
  warp->slots[lane] = v;
  warp->sync.arrive_and_wait();
  const float other = warp->slots[lane ^ mask];
  warp->sync.arrive_and_wait();
  return other;
}

template <typename T, int BITS, int G, int M, int NW, int UNROLL>
void body(const T* x, const uint32_t* w, const T* scales, const T* biases, T* out, const int* x_shape,
          const int* w_shape) {
#include "qmv.cu"
}

template <typename T>
float to_float(T v) {
  return static_cast<float>(v);
}

// Runs every warp of the grid (32 * NW * ceil(N / NW) threads); lanes of a warp run as threads.
template <typename T, int BITS, int G, int M>
void launch(const T* x, const uint32_t* w, const T* scales, const T* biases, T* out, int K, int N) {
  constexpr int NW = 8, UNROLL = 4;
  const int x_shape[2] = {M, K};
  const int w_shape[2] = {N, K * BITS / 32};
  const int blocks = (N + NW - 1) / NW;
  for (int b = 0; b < blocks; b++) {
    for (int j = 0; j < NW; j++) {
      Warp wp;
      std::vector<std::thread> lanes;
      for (int lane = 0; lane < 32; lane++) {
        lanes.emplace_back([&, lane] {
          blockIdx = {b, 0, 0};
          threadIdx = {j * 32 + lane, 0, 0};
          warp = &wp;
          body<T, BITS, G, M, NW, UNROLL>(x, w, scales, biases, out, x_shape, w_shape);
        });
      }
      for (auto& t : lanes) t.join();
    }
  }
}

template <typename T, int BITS, int G, int M>
bool check(const char* tname, int N, int K, bool misaligned, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> U(-1.0f, 1.0f);
  const int words = K * BITS / 32, groups = K / G;
  std::vector<T> xs(M * K + 1), sc(N * groups), bi(N * groups), out(M * N);
  std::vector<uint32_t> w(N * words);
  for (auto& v : xs) v = T(U(rng));
  for (auto& v : sc) v = T(U(rng) * 0.05f);
  for (auto& v : bi) v = T(U(rng) * 0.5f);
  for (auto& v : w) v = static_cast<uint32_t>(rng());
  const T* x = xs.data() + (misaligned ? 1 : 0);
  launch<T, BITS, G, M>(x, w.data(), sc.data(), bi.data(), out.data(), K, N);
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
      worst = std::max(worst, tol > 0 ? err / tol : err);
    }
  }
  const bool ok = worst <= 1.0;
  std::printf("%s %s bits %d group %d rows %d N %d K %d%s: worst error %.3f of tolerance\n", ok ? "ok  " : "FAIL", tname,
              BITS, G, M, N, K, misaligned ? " (x unaligned)" : "", worst);
  return ok;
}

}  // namespace emu

int main() {
  using emu::bf16;
  using emu::check;
  int failed = 0;
  // N 37: a partial last block; K 2176: loads a row not a multiple of 32 x UNROLL (a partial unrolled pass).
  failed += !check<float, 4, 64, 1>("float32", 37, 2176, false, 1);
  failed += !check<float, 4, 32, 3>("float32", 37, 2176, true, 2);
  failed += !check<float, 4, 128, 8>("float32", 19, 1024, false, 3);
  failed += !check<float, 8, 64, 2>("float32", 37, 2176, false, 4);
  failed += !check<float, 8, 128, 1>("float32", 37, 1152, true, 5);
  failed += !check<bf16, 4, 64, 1>("bfloat16", 37, 2176, false, 6);
  failed += !check<bf16, 4, 64, 4>("bfloat16", 37, 4096, true, 7);
  failed += !check<bf16, 8, 32, 3>("bfloat16", 37, 2176, false, 8);
  std::printf("%d passed, %d failed\n", 8 - failed, failed);
  return failed ? 1 : 0;
}
