// Device time of the chunk kernel (ffi/kernels/paged_attention_chunk.cu) and the merge (paged_attention_merge.cu) at
// a prefix hit's shape on Qwen3-0.6B (16 rows at positions 2048..2063, 16 query heads over 8 kv heads, head dim 128,
// bfloat16, blocks of 16 in a shuffled table), timed with CUDA events over back-to-back launches, without MLX. With
// -DOLD_DIR=<dir> it also times the bodies in that directory (an earlier version) and compares both outputs. On a
// machine with a GPU:
//   nvcc -std=c++20 -O3 -arch=sm_90a -I ffi/kernels [-DOLD_DIR=.dev/chunk-old] ffi/tests/paged_chunk_bench.cu -o b
// Prints each kernel's microseconds a launch and the largest difference between the versions' outputs.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cuda/std/limits>
#include <numeric>
#include <random>
#include <vector>

#define STR2(x) #x
#define STR(x) STR2(x)

struct Shape {
  int32_t v[8];
  __device__ int32_t operator[](int i) const { return v[i]; }
};

#include "paged_attention.cuh"

#define CHUNK_PARAMS                                                                                                 \
  const T *q, const T *k_pool, const T *v_pool, const int32_t *block_tables, const int32_t *seq_lens,                \
      const int32_t *after, const __grid_constant__ Shape q_shape, const __grid_constant__ Shape k_pool_shape,       \
      const __grid_constant__ Shape block_tables_shape, float *part_ml, float *part_acc
#define MERGE_PARAMS const float *part_ml, const float *part_acc, const __grid_constant__ Shape part_ml_shape, T *out

template <typename T, int D, int NW, int TK, int QW, int PART, int SCALE_BITS, int SOFTCAP_BITS, int WINDOW>
__global__ void chunk_new(CHUNK_PARAMS) {
#include "paged_attention_chunk.cu"
}
template <typename T, int D>
__global__ void merge_new(MERGE_PARAMS) {
#include "paged_attention_merge.cu"
}
#ifdef OLD_DIR
template <typename T, int D, int NW, int TK, int QW, int PART, int SCALE_BITS, int SOFTCAP_BITS, int WINDOW>
__global__ void chunk_old(CHUNK_PARAMS) {
#include STR(OLD_DIR/paged_attention_chunk.cu)
}
template <typename T, int D>
__global__ void merge_old(MERGE_PARAMS) {
#include STR(OLD_DIR/paged_attention_merge.cu)
}
#endif

#define CHECK(x)                                                                      \
  do {                                                                                \
    cudaError_t e = (x);                                                              \
    if (e != cudaSuccess) {                                                           \
      std::printf("%s:%d %s: %s\n", __FILE__, __LINE__, #x, cudaGetErrorString(e)); \
      std::exit(1);                                                                   \
    }                                                                                 \
  } while (0)

using T = __nv_bfloat16;
constexpr int R = 16, HQ = 16, HKV = 8, D = 128, BS = 16, PREFIX = 2048, LEN = PREFIX + R, NW = 8, TK = 32;
constexpr int MAX_BLOCKS = (LEN + BS - 1) / BS, NUM_BLOCKS = MAX_BLOCKS + 3;
constexpr int QW = 4;  // as chunk_queries_per_warp gives for bfloat16 at head dim 128
constexpr int SCALE_BITS = 0x3db504f3;  // 128 ** -0.5

struct Buffers {
  T *q, *k, *v, *out;
  int32_t *tables, *lens;
  float *ml, *acc;
};

// Microseconds a launch of `f` over `n` back-to-back launches, after a warm-up.
template <typename F>
float time_us(F f, int n = 500) {
  for (int i = 0; i < 20; i++) f();
  cudaEvent_t a, b;
  CHECK(cudaEventCreate(&a));
  CHECK(cudaEventCreate(&b));
  CHECK(cudaEventRecord(a));
  for (int i = 0; i < n; i++) f();
  CHECK(cudaEventRecord(b));
  CHECK(cudaEventSynchronize(b));
  float ms = 0;
  CHECK(cudaEventElapsedTime(&ms, a, b));
  CHECK(cudaGetLastError());
  return ms * 1000.0f / n;
}

template <int PART, auto Chunk, auto Merge, int QWV = QW>
struct Version {
  static constexpr int P = (MAX_BLOCKS * BS + PART - 1) / PART;
  static void chunk(const Buffers& b) {
    const Shape qs{{R, HQ, 1, D}}, ks{{NUM_BLOCKS, BS, HKV, D}}, ts{{R, MAX_BLOCKS}};
    const int rounds = (R * (HQ / HKV) + NW * QWV - 1) / (NW * QWV);
    Chunk<<<dim3(P, HKV, rounds), NW * 32>>>(b.q, b.k, b.v, b.tables, b.lens, b.lens, qs, ks, ts, b.ml, b.acc);
  }
  static void merge(const Buffers& b) {
    const Shape ms{{R, HQ, P, 2}};
    Merge<<<dim3(1, HQ, R), D>>>(b.ml, b.acc, ms, b.out);
  }
  static std::vector<float> run(const char* name, const Buffers& b) {
    const float c = time_us([&] { chunk(b); });
    const float m = time_us([&] { merge(b); });
    const float both = time_us([&] {
      chunk(b);
      merge(b);
    });
    std::printf("%s (partitions of %d keys, %d of them, %d queries a warp): chunk %.2f us, merge %.2f us, both %.2f us "
                "a launch\n", name, PART, P, QWV, c, m, both);
    CHECK(cudaMemset(b.out, 0xff, size_t(R) * HQ * D * sizeof(T)));
    chunk(b);
    merge(b);
    CHECK(cudaDeviceSynchronize());
    std::vector<T> host(size_t(R) * HQ * D);
    CHECK(cudaMemcpy(host.data(), b.out, host.size() * sizeof(T), cudaMemcpyDeviceToHost));
    std::vector<float> out(host.size());
    for (size_t i = 0; i < host.size(); i++) out[i] = __bfloat162float(host[i]);
    return out;
  }
};

template <int PART, int QWV = QW>
using New = Version<PART, chunk_new<T, D, NW, TK, QWV, PART, SCALE_BITS, 0, 0>, merge_new<T, D>, QWV>;

int main() {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> U(-1.0f, 1.0f);
  const size_t pool = size_t(NUM_BLOCKS) * BS * HKV * D;
  std::vector<T> hk(pool), hv(pool), hq(size_t(R) * HQ * D);
  for (auto& x : hk) x = __float2bfloat16(U(rng));
  for (auto& x : hv) x = __float2bfloat16(U(rng));
  for (auto& x : hq) x = __float2bfloat16(2.0f * U(rng));
  std::vector<int32_t> ids(NUM_BLOCKS), tables(size_t(R) * MAX_BLOCKS), lens(R);
  std::iota(ids.begin(), ids.end(), 0);
  std::shuffle(ids.begin(), ids.end(), rng);
  for (int r = 0; r < R; r++) {
    std::copy(ids.begin(), ids.begin() + MAX_BLOCKS, tables.begin() + size_t(r) * MAX_BLOCKS);
    lens[r] = PREFIX + r + 1;
  }
  Buffers b{};
  const int max_p = (MAX_BLOCKS * BS + 31) / 32;
  CHECK(cudaMalloc(&b.q, hq.size() * sizeof(T)));
  CHECK(cudaMalloc(&b.k, pool * sizeof(T)));
  CHECK(cudaMalloc(&b.v, pool * sizeof(T)));
  CHECK(cudaMalloc(&b.out, hq.size() * sizeof(T)));
  CHECK(cudaMalloc(&b.tables, tables.size() * sizeof(int32_t)));
  CHECK(cudaMalloc(&b.lens, lens.size() * sizeof(int32_t)));
  CHECK(cudaMalloc(&b.ml, size_t(R) * HQ * max_p * 2 * sizeof(float)));
  CHECK(cudaMalloc(&b.acc, size_t(R) * HQ * max_p * D * sizeof(float)));
  CHECK(cudaMemcpy(b.q, hq.data(), hq.size() * sizeof(T), cudaMemcpyHostToDevice));
  CHECK(cudaMemcpy(b.k, hk.data(), pool * sizeof(T), cudaMemcpyHostToDevice));
  CHECK(cudaMemcpy(b.v, hv.data(), pool * sizeof(T), cudaMemcpyHostToDevice));
  CHECK(cudaMemcpy(b.tables, tables.data(), tables.size() * sizeof(int32_t), cudaMemcpyHostToDevice));
  CHECK(cudaMemcpy(b.lens, lens.data(), lens.size() * sizeof(int32_t), cudaMemcpyHostToDevice));
  cudaDeviceProp prop;
  CHECK(cudaGetDeviceProperties(&prop, 0));
  std::printf("%s: %d rows at %d..%d, %d/%d heads, head dim %d, bfloat16\n", prop.name, R, PREFIX, LEN - 1, HQ, HKV, D);

  const auto a = New<64>::run("new", b);
  const auto a128 = New<128>::run("new", b);
  const auto a32 = New<32>::run("new", b);
  auto diff = [](const std::vector<float>& x, const std::vector<float>& y) {
    float worst = 0;
    for (size_t i = 0; i < x.size(); i++) worst = std::max(worst, std::fabs(x[i] - y[i]));
    return worst;
  };
  const auto q2 = New<64, 2>::run("new", b);
  const auto q1 = New<64, 1>::run("new", b);
  std::printf("largest difference, partitions of 128 against 64: %.3g; of 32: %.3g; 2 and 1 queries a warp: %.3g, "
              "%.3g\n", diff(a, a128), diff(a, a32), diff(a, q2), diff(a, q1));
#ifdef OLD_DIR
  const auto o = Version<64, chunk_old<T, D, NW, TK, QW, 64, SCALE_BITS, 0, 0>, merge_old<T, D>>::run("old", b);
  const auto mixed = Version<64, chunk_new<T, D, NW, TK, QW, 64, SCALE_BITS, 0, 0>, merge_old<T, D>>::run(
      "new chunk, old merge", b);
  std::printf("largest difference, new against old: %.3g; new chunk with the old merge: %.3g\n", diff(a, o),
              diff(mixed, o));
#endif
  return 0;
}
