// What the standalone CUDA benches (paged_chunk_bench.cu, qmv_bench.cu) share: the shape argument MLX's
// `fast::cuda_kernel` passes a kernel body (`x_shape[i]`), and a check that ends the program on a CUDA error.
#pragma once
#include <cstdint>
#include <cstdio>
#include <cstdlib>

struct Shape {
  int32_t v[8];
  __device__ int32_t operator[](int i) const { return v[i]; }
};

#define CHECK(x)                                                                      \
  do {                                                                                \
    cudaError_t e = (x);                                                              \
    if (e != cudaSuccess) {                                                           \
      std::printf("%s:%d %s: %s\n", __FILE__, __LINE__, #x, cudaGetErrorString(e)); \
      std::exit(1);                                                                   \
    }                                                                                 \
  } while (0)

#include <type_traits>

// Microseconds a call of `f` (given the call's index where it takes one) over `n` back-to-back calls on the default
// stream, after `warm` calls.
template <typename F>
float time_us(F f, int n, int warm = 20) {
  auto call = [&](int i) {
    if constexpr (std::is_invocable_v<F, int>) {
      f(i);
    } else {
      f();
    }
  };
  for (int i = 0; i < warm; i++) call(i);
  cudaEvent_t a, b;
  CHECK(cudaEventCreate(&a));
  CHECK(cudaEventCreate(&b));
  CHECK(cudaEventRecord(a));
  for (int i = 0; i < n; i++) call(i);
  CHECK(cudaEventRecord(b));
  CHECK(cudaEventSynchronize(b));
  float ms = 0;
  CHECK(cudaEventElapsedTime(&ms, a, b));
  CHECK(cudaGetLastError());
  CHECK(cudaEventDestroy(a));
  CHECK(cudaEventDestroy(b));
  return ms * 1000.0f / n;
}
