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
