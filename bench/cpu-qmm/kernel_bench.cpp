// The CPU quantized-matmul kernel alone (no MLX graph, no dispatch): microseconds a product for every instruction
// set this CPU has, at one shape, over `copies` weights taken in turn (past the caches, each product reads its
// weights from memory, as a decode does). f16 scales and biases, float32 x, as the default model's GGUF loads.
//
//   S=ffi/src; g++ -O2 -std=c++17 -I$S -I.cache/mlx/$(cat scripts/mlx-version.txt)/cpu/mlx/include \
//     bench/cpu-qmm/kernel_bench.cpp $S/qmm_cpu*.cpp $S/thread_pool.cpp -lpthread -o /tmp/qmm-kernel-bench
//   /tmp/qmm-kernel-bench N K [M=1] [reps=1000] [copies=1] [bits=4]     (VMLX_CPU_THREADS=1: one thread)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "qmm_cpu.h"

using namespace vmlx::qmm_cpu;

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s N K [M] [reps] [copies] [bits]\n", argv[0]);
    return 2;
  }
  const int N = std::atoi(argv[1]), K = std::atoi(argv[2]), M = argc > 3 ? std::atoi(argv[3]) : 1;
  const int reps = argc > 4 ? std::atoi(argv[4]) : 1000, copies = argc > 5 ? std::atoi(argv[5]) : 1;
  const int bits = argc > 6 ? std::atoi(argv[6]) : 4, group = 32;
  if (!supports(bits, group, K) || N <= 0 || M <= 0 || reps <= 0 || copies <= 0) {
    std::fprintf(stderr, "unsupported shape\n");
    return 2;
  }
  std::mt19937 rng(1);
  std::vector<std::vector<uint32_t>> w(copies, std::vector<uint32_t>(static_cast<size_t>(N) * K * bits / 32));
  for (auto& c : w) {
    for (auto& v : c) v = rng();
  }
  const size_t groups = static_cast<size_t>(N) * K / group;
  std::vector<uint16_t> scales(groups, 0x2000), biases(groups, 0xA000);  // float16 2^-7 and -2^-7
  std::vector<float> x(static_cast<size_t>(M) * K, 0.5f), out(static_cast<size_t>(M) * N);
  for (Isa isa : {Isa::scalar, Isa::avx2, Isa::avx512, Isa::avx512bf16, Isa::amx}) {
    if (!set_isa(isa) || (isa == Isa::scalar && M * static_cast<long>(N) * K > (1L << 26))) continue;
    double best = 1e30;
    for (int round = 0; round < 5; ++round) {
      const auto t0 = std::chrono::steady_clock::now();
      for (int r = 0; r < reps; ++r) {
        Problem p{x.data(), Dtype::f32, w[r % copies].data(), scales.data(), biases.data(), Dtype::f16,
                  out.data(), Dtype::f32, M, N, K, bits, group};
        run(p);
      }
      const double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count() / reps;
      if (us < best) best = us;
    }
    std::printf("%-10s N %6d K %5d M %4d bits %d copies %3d: %9.2f us  %6.1f GMAC/s\n", isa_name(isa), N, K, M, bits,
                copies, best, static_cast<double>(M) * N * K / best / 1e3);
  }
}
