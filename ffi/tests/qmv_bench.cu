// Device time of the qmv kernel (ffi/kernels/qmv.cu) at one row of Llama-3.1-8B's products (4-bit, groups of 64,
// bfloat16), timed with CUDA events without MLX, against the card's read bandwidth:
// - each product alone under the launcher's layout (qmv_cuda.cpp's `layout`, repeated below) and under every other
//   layout of the sweep (columns a warp, loads a lane in flight, slices of K), over enough copies of its weights that
//   none is read from L2;
// - a whole token's products, each its own weights, launched back to back and replayed as one CUDA graph, with the
//   launcher's layouts and with each shape's best: 225 as the checkpoint splits them (32 layers of q, k, v, o, gate,
//   up, down, then the LM head), and 129 as the engine loads them since session 13 (q, k and v stacked into one
//   [6144, 4096] product, gate and up into one [28672, 4096]).
// This is the device's floor for a token's products: what MLX's host cost per primitive adds comes on top. On a
// machine with a GPU:
//   nvcc -std=c++20 -O3 -arch=sm_90a -I ffi/kernels ffi/tests/qmv_bench.cu -o b && ./b
#include <cuda_bf16.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "cuda_bench.h"

constexpr int BITS = 4, G = 64, M = 1, WARPS = 8;

template <typename T, int BITS, int G, int M, int NW, int COLS, int UNROLL>
__global__ void qmv(const T* x, const uint32_t* w, const T* scales, const T* biases,
                    const __grid_constant__ Shape w_shape, T* out) {
#include "qmv.cu"
}

// Every 16 bytes of `p` read once (grid-stride), summed so the loads are kept: the card's read bandwidth.
__global__ void read_all(const uint4* p, size_t n, unsigned* sink) {
  unsigned s = 0;
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x) {
    const uint4 v = __ldcs(p + i);
    s ^= v.x ^ v.y ^ v.z ^ v.w;
  }
  if (s == 0x9e3779b9u) *sink = s;
}

__global__ void fill_words(uint32_t* p, size_t n, uint32_t seed) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x) {
    uint32_t h = uint32_t(i) * 0x9e3779b1u ^ seed;
    h ^= h >> 15;
    h *= 0x85ebca6bu;
    p[i] = h ^ (h >> 13);
  }
}

__global__ void fill_bf16(__nv_bfloat16* p, size_t n, float a, float b) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x) {
    p[i] = __float2bfloat16(a + b * float((i * 2654435761u) % 1000u) / 1000.0f);
  }
}

using T = __nv_bfloat16;
using Kernel = void (*)(const T*, const uint32_t*, const T*, const T*, const Shape, T*);

struct Variant {
  int cols, unroll;
  Kernel k;
};
const Variant VARIANTS[] = {
    {8, 1, qmv<T, BITS, G, M, WARPS, 8, 1>}, {8, 2, qmv<T, BITS, G, M, WARPS, 8, 2>},
    {4, 2, qmv<T, BITS, G, M, WARPS, 4, 2>}, {4, 4, qmv<T, BITS, G, M, WARPS, 4, 4>},
    {2, 4, qmv<T, BITS, G, M, WARPS, 2, 4>}, {2, 8, qmv<T, BITS, G, M, WARPS, 2, 8>},
};

struct Layout {
  int cols, unroll, slices;
};

// qmv_cuda.cpp's choice at one row: 8 columns a warp, 8 loads in flight, K split while the column groups are
// fewer than 2,048 warps and each slice keeps a full round of passes.
Layout launcher_layout(int N, int K) {
  const int cols = 8, unroll = 8 / cols;
  const int passes = (K / (128 / BITS) + 31) / 32;
  const int col_groups = (N + cols - 1) / cols;
  int slices = 1;
  while (slices < WARPS && 2 * slices * unroll <= passes && col_groups * slices < 2048) slices *= 2;
  return {cols, unroll, slices};
}

Kernel kernel_of(const Layout& l) {
  for (const auto& v : VARIANTS) {
    if (v.cols == l.cols && v.unroll == l.unroll) return v.k;
  }
  std::printf("no variant of %d columns, %d loads\n", l.cols, l.unroll);
  std::exit(1);
}

// One product's buffers.
struct Product {
  int N, K;
  uint32_t* w;
  T *scales, *biases;
  size_t bytes() const { return size_t(N) * K * BITS / 8 + 2 * size_t(N) * (K / G) * sizeof(T); }
  void alloc(uint32_t seed) {
    const size_t words = size_t(N) * K * BITS / 32, groups = size_t(N) * (K / G);
    CHECK(cudaMalloc(&w, words * 4));
    CHECK(cudaMalloc(&scales, groups * sizeof(T)));
    CHECK(cudaMalloc(&biases, groups * sizeof(T)));
    fill_words<<<1024, 256>>>(w, words, seed);
    fill_bf16<<<1024, 256>>>(scales, groups, 0.002f, 0.01f);
    fill_bf16<<<1024, 256>>>(biases, groups, -0.05f, 0.02f);
  }
  void release() {
    CHECK(cudaFree(w));
    CHECK(cudaFree(scales));
    CHECK(cudaFree(biases));
  }
  void launch(const Layout& l, const T* x, T* out, cudaStream_t s = 0) const {
    const int col_groups = WARPS / l.slices;
    const int blocks = (N + col_groups * l.cols - 1) / (col_groups * l.cols);
    const Shape ws{{N, K * BITS / 32}};
    kernel_of(l)<<<blocks, dim3(32 * col_groups, l.slices), 0, s>>>(x, w, scales, biases, ws, out);
  }
};

// out[n] = sum_k x[k] (scale * q + bias) in double, for the first `cols` columns of a product.
double worst_error(const Product& p, const T* x_dev, const T* out_dev, int cols) {
  const size_t row_words = size_t(p.K) * BITS / 32;
  std::vector<uint32_t> w(row_words * cols);
  std::vector<T> sc(size_t(cols) * (p.K / G)), bi(sc.size()), x(p.K), out(cols);
  CHECK(cudaMemcpy(w.data(), p.w, w.size() * 4, cudaMemcpyDeviceToHost));
  CHECK(cudaMemcpy(sc.data(), p.scales, sc.size() * sizeof(T), cudaMemcpyDeviceToHost));
  CHECK(cudaMemcpy(bi.data(), p.biases, bi.size() * sizeof(T), cudaMemcpyDeviceToHost));
  CHECK(cudaMemcpy(x.data(), x_dev, x.size() * sizeof(T), cudaMemcpyDeviceToHost));
  CHECK(cudaMemcpy(out.data(), out_dev, out.size() * sizeof(T), cudaMemcpyDeviceToHost));
  double worst = 0;
  for (int n = 0; n < cols; n++) {
    double ref = 0, scale_of_terms = 0;
    for (int k = 0; k < p.K; k++) {
      const uint32_t q = (w[n * row_words + k / 8] >> (4 * (k % 8))) & 15u;
      const size_t g = size_t(n) * (p.K / G) + k / G;
      const double v = double(__bfloat162float(sc[g])) * q + double(__bfloat162float(bi[g]));
      ref += double(__bfloat162float(x[k])) * v;
      scale_of_terms += std::fabs(double(__bfloat162float(x[k])) * v);
    }
    worst = std::max(worst, std::fabs(double(__bfloat162float(out[n])) - ref) / (scale_of_terms + 1e-30));
  }
  return worst;
}

int main() {
  cudaDeviceProp prop;
  CHECK(cudaGetDeviceProperties(&prop, 0));
  unsigned* sink;
  CHECK(cudaMalloc(&sink, 4));
  // The ceiling: 4 GB read once a pass.
  const size_t big = size_t(4) << 30;
  uint4* buf;
  CHECK(cudaMalloc(&buf, big));
  CHECK(cudaMemset(buf, 1, big));
  const float read_us =
      time_us([&](int) { read_all<<<prop.multiProcessorCount * 8, 512>>>(buf, big / 16, sink); }, 10);
  const double ceiling = big / (read_us * 1e3);  // GB/s
  CHECK(cudaFree(buf));
  std::printf("%s, %d SMs, %.0f MB L2: read bandwidth %.0f GB/s (4 GB, __ldcs, 16 bytes a load)\n", prop.name,
              prop.multiProcessorCount, prop.l2CacheSize / 1e6, ceiling);

  T *x, *out;
  CHECK(cudaMalloc(&x, 14336 * sizeof(T)));
  CHECK(cudaMalloc(&out, 128256 * sizeof(T)));
  fill_bf16<<<64, 256>>>(x, 14336, -1.0f, 2.0f);

  // per_layer: how many a layer as the checkpoint splits them, and as the engine stacks them. The LM head is once a token.
  struct Named {
    const char* name;
    int N, K, split, stacked;
  };
  const Named shapes[] = {{"q, o [4096, 4096]", 4096, 4096, 2, 1},        {"k, v [1024, 4096]", 1024, 4096, 2, 0},
                          {"gate, up [14336, 4096]", 14336, 4096, 2, 0},  {"down [4096, 14336]", 4096, 14336, 1, 1},
                          {"qkv [6144, 4096]", 6144, 4096, 0, 1},         {"gate_up [28672, 4096]", 28672, 4096, 0, 1},
                          {"lm_head [128256, 4096]", 128256, 4096, 0, 0}};
  constexpr int SHAPES = sizeof(shapes) / sizeof(shapes[0]), HEAD = SHAPES - 1;
  std::vector<Layout> best(SHAPES);
  std::printf("one row, 4-bit, groups of 64, bfloat16: us a launch (GB/s, share of the read bandwidth)\n");
  for (int s = 0; s < SHAPES; s++) {
    const auto& sh = shapes[s];
    Product one{sh.N, sh.K};
    const int copies = std::max<int>(1, int((size_t(768) << 20) / one.bytes()));
    std::vector<Product> ps(copies, one);
    for (int c = 0; c < copies; c++) ps[c].alloc(1234u + c);
    const Layout mine = launcher_layout(sh.N, sh.K);
    ps[0].launch(mine, x, out);
    CHECK(cudaDeviceSynchronize());
    std::printf("%s, %.1f MB, %d copies; launcher: %d columns a warp, %d loads, %d slices; worst relative error "
                "over 64 columns %.2g\n", sh.name, one.bytes() / 1e6, copies, mine.cols, mine.unroll, mine.slices,
                worst_error(ps[0], x, out, 64));
    float best_us = 1e30f;
    for (const auto& v : VARIANTS) {
      std::printf("  %d cols %d loads:", v.cols, v.unroll);
      for (int slices = 1; slices <= WARPS; slices *= 2) {
        const Layout l{v.cols, v.unroll, slices};
        const float us = time_us([&](int i) { ps[i % copies].launch(l, x, out); }, 200);
        std::printf("  %d slices %.1f (%.0f, %.0f%%)", slices, us, one.bytes() / (us * 1e3),
                    100.0 * one.bytes() / (us * 1e3) / ceiling);
        if (us < best_us) best_us = us, best[s] = l;
      }
      std::printf("\n");
    }
    std::printf("  best: %d cols %d loads %d slices, %.1f us\n", best[s].cols, best[s].unroll, best[s].slices,
                best_us);
    for (auto& p : ps) p.release();
  }

  cudaStream_t st;
  CHECK(cudaStreamCreateWithFlags(&st, cudaStreamNonBlocking));
  auto shape_of = [&](const Product& p) {
    for (int s = 0; s < SHAPES; s++) {
      if (shapes[s].N == p.N && shapes[s].K == p.K) return s;
    }
    return 0;
  };
  // A token: each layer's products with weights of their own, then the LM head; split, then stacked.
  for (int stacked = 0; stacked < 2; stacked++) {
    std::vector<Product> token;
    double token_bytes = 0;
    for (int layer = 0; layer < 32; layer++) {
      for (int s = 0; s < HEAD; s++) {
        const int n = stacked ? shapes[s].stacked : shapes[s].split;
        for (int j = 0; j < n; j++) token.push_back({shapes[s].N, shapes[s].K});
      }
    }
    token.push_back({shapes[HEAD].N, shapes[HEAD].K});
    for (size_t i = 0; i < token.size(); i++) {
      token[i].alloc(99u + i);
      token_bytes += token[i].bytes();
    }
    CHECK(cudaDeviceSynchronize());
    for (int tuned = 0; tuned < 2; tuned++) {
      auto all = [&](cudaStream_t s) {
        for (const auto& p : token) {
          const int k = shape_of(p);
          p.launch(tuned ? best[k] : launcher_layout(p.N, p.K), x, out, s);
        }
      };
      cudaEvent_t a, b;
      CHECK(cudaEventCreate(&a));
      CHECK(cudaEventCreate(&b));
      all(st);
      CHECK(cudaEventRecord(a, st));
      for (int i = 0; i < 20; i++) all(st);
      CHECK(cudaEventRecord(b, st));
      CHECK(cudaEventSynchronize(b));
      float launched = 0;
      CHECK(cudaEventElapsedTime(&launched, a, b));
      cudaGraph_t g;
      cudaGraphExec_t ge;
      CHECK(cudaStreamBeginCapture(st, cudaStreamCaptureModeGlobal));
      all(st);
      CHECK(cudaStreamEndCapture(st, &g));
      CHECK(cudaGraphInstantiate(&ge, g, 0));
      CHECK(cudaGraphLaunch(ge, st));
      CHECK(cudaEventRecord(a, st));
      for (int i = 0; i < 20; i++) CHECK(cudaGraphLaunch(ge, st));
      CHECK(cudaEventRecord(b, st));
      CHECK(cudaEventSynchronize(b));
      float replayed = 0;
      CHECK(cudaEventElapsedTime(&replayed, a, b));
      launched /= 20, replayed /= 20;
      std::printf("a token's %zu products (%s, %.2f GB), %s layouts: launched %.3f ms (%.0f%% of the read bandwidth), "
                  "one graph %.3f ms (%.0f%%)\n", token.size(), stacked ? "stacked" : "split", token_bytes / 1e9,
                  tuned ? "each shape's best" : "the launcher's", launched,
                  100.0 * token_bytes / (launched * 1e6) / ceiling, replayed,
                  100.0 * token_bytes / (replayed * 1e6) / ceiling);
      CHECK(cudaGraphExecDestroy(ge));
      CHECK(cudaGraphDestroy(g));
    }
    for (auto& p : token) p.release();
  }
  return 0;
}
