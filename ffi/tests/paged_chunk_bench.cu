// Device time of the chunk kernel (ffi/kernels/paged_attention_chunk.cu) and the merge (paged_attention_merge.cu) at
// Qwen3-0.6B's widths (16 query heads over 8 kv heads, head dim 128, bfloat16, blocks of 16 in a shuffled table),
// timed with CUDA events over back-to-back launches, without MLX: a prefix hit's 16 rows at positions 2048..2063,
// then a lone decode row over 2,064 and 8,192 keys against the serial decode kernel (paged_attention_serial.cu, what
// such a row takes by default). With -DOLD_DIR=<dir> it also times the chunk and merge bodies in that directory (an
// earlier version) at the hit and compares the outputs. On a machine with a GPU:
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

#include "cuda_bench.h"

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
template <typename T, int D, int NSG, int SCALE_BITS, int SOFTCAP_BITS, int WINDOW>
__global__ void serial(const T* q, const T* k_pool, const T* v_pool, const int32_t* block_tables,
                       const int32_t* seq_lens, const int32_t* after, const __grid_constant__ Shape q_shape,
                       const __grid_constant__ Shape k_pool_shape, const __grid_constant__ Shape block_tables_shape,
                       T* out) {
#include "paged_attention_serial.cu"
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

using T = __nv_bfloat16;
constexpr int HQ = 16, HKV = 8, D = 128, BS = 16, NW = 8, TK = 32;
constexpr int MOST_KEYS = 8192, NUM_BLOCKS = MOST_KEYS / BS + 3;
constexpr int SCALE_BITS = 0x3db504f3;  // 128 ** -0.5

// One launch's inputs: R rows, the last at position len - 1 (row r at len - R + r), every row through one table.
struct Scene {
  int R, len;
  T *q, *k, *v, *out;
  int32_t *tables, *lens;
  float *ml, *acc;
  int max_blocks() const { return (len + BS - 1) / BS; }
};

std::vector<float> read_out(const Scene& sc) {
  CHECK(cudaDeviceSynchronize());
  std::vector<T> host(size_t(sc.R) * HQ * D);
  CHECK(cudaMemcpy(host.data(), sc.out, host.size() * sizeof(T), cudaMemcpyDeviceToHost));
  std::vector<float> out(host.size());
  for (size_t i = 0; i < host.size(); i++) out[i] = __bfloat162float(host[i]);
  return out;
}

float diff(const std::vector<float>& x, const std::vector<float>& y) {
  float worst = 0;
  for (size_t i = 0; i < x.size(); i++) worst = std::max(worst, std::fabs(x[i] - y[i]));
  return worst;
}

// A chunk kernel (partitions of PART keys, QW queries a warp) and a merge: timed apart and together, and its output.
template <int PART, int QW, auto Chunk, auto Merge>
std::vector<float> run_chunk(const char* name, const Scene& sc) {
  const int P = (sc.max_blocks() * BS + PART - 1) / PART;
  const Shape qs{{sc.R, HQ, 1, D}}, ks{{NUM_BLOCKS, BS, HKV, D}}, ts{{sc.R, sc.max_blocks()}}, ms{{sc.R, HQ, P, 2}};
  const int rounds = (sc.R * (HQ / HKV) + NW * QW - 1) / (NW * QW);
  auto chunk = [&] {
    Chunk<<<dim3(P, HKV, rounds), NW * 32>>>(sc.q, sc.k, sc.v, sc.tables, sc.lens, sc.lens, qs, ks, ts, sc.ml, sc.acc);
  };
  auto merge = [&] { Merge<<<dim3(1, HQ, sc.R), D>>>(sc.ml, sc.acc, ms, sc.out); };
  const float c = time_us(chunk, 500), m = time_us(merge, 500), both = time_us([&] {
    chunk();
    merge();
  }, 500);
  std::printf("  %s (partitions of %d keys, %d of them, %d queries a warp): chunk %.2f us, merge %.2f us, "
              "both %.2f us\n", name, PART, P, QW, c, m, both);
  CHECK(cudaMemset(sc.out, 0xff, size_t(sc.R) * HQ * D * sizeof(T)));
  chunk();
  merge();
  return read_out(sc);
}

template <int PART, int QW>
std::vector<float> run_new(const Scene& sc) {
  return run_chunk<PART, QW, chunk_new<T, D, NW, TK, QW, PART, SCALE_BITS, 0, 0>, merge_new<T, D>>("new", sc);
}

// The serial decode kernel, as launch_serial runs it (16 warps a block from 2,048 keys).
std::vector<float> run_serial(const Scene& sc) {
  const int nsg = sc.len < 1024 ? 4 : sc.len < 2048 ? 8 : 16;
  const Shape qs{{sc.R, HQ, 1, D}}, ks{{NUM_BLOCKS, BS, HKV, D}}, ts{{sc.R, sc.max_blocks()}};
  auto launch = [&] {
    if (nsg == 16) {
      serial<T, D, 16, SCALE_BITS, 0, 0><<<dim3(1, HQ, sc.R), 16 * 32>>>(sc.q, sc.k, sc.v, sc.tables, sc.lens, sc.lens,
                                                                          qs, ks, ts, sc.out);
    } else {
      serial<T, D, 8, SCALE_BITS, 0, 0><<<dim3(1, HQ, sc.R), 8 * 32>>>(sc.q, sc.k, sc.v, sc.tables, sc.lens, sc.lens,
                                                                        qs, ks, ts, sc.out);
    }
  };
  std::printf("  serial decode kernel (%d warps a block): %.2f us\n", nsg, time_us(launch, 500));
  CHECK(cudaMemset(sc.out, 0xff, size_t(sc.R) * HQ * D * sizeof(T)));
  launch();
  return read_out(sc);
}

int main() {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> U(-1.0f, 1.0f);
  const size_t pool = size_t(NUM_BLOCKS) * BS * HKV * D;
  const int most_rows = 16;
  std::vector<T> hk(pool), hv(pool), hq(size_t(most_rows) * HQ * D);
  for (auto& x : hk) x = __float2bfloat16(U(rng));
  for (auto& x : hv) x = __float2bfloat16(U(rng));
  for (auto& x : hq) x = __float2bfloat16(2.0f * U(rng));
  std::vector<int32_t> ids(NUM_BLOCKS);
  std::iota(ids.begin(), ids.end(), 0);
  std::shuffle(ids.begin(), ids.end(), rng);
  Scene sc{};
  const int most_parts = MOST_KEYS / 32;
  CHECK(cudaMalloc(&sc.q, hq.size() * sizeof(T)));
  CHECK(cudaMalloc(&sc.k, pool * sizeof(T)));
  CHECK(cudaMalloc(&sc.v, pool * sizeof(T)));
  CHECK(cudaMalloc(&sc.out, hq.size() * sizeof(T)));
  CHECK(cudaMalloc(&sc.tables, size_t(most_rows) * (MOST_KEYS / BS) * sizeof(int32_t)));
  CHECK(cudaMalloc(&sc.lens, most_rows * sizeof(int32_t)));
  CHECK(cudaMalloc(&sc.ml, size_t(most_rows) * HQ * most_parts * 2 * sizeof(float)));
  CHECK(cudaMalloc(&sc.acc, size_t(most_rows) * HQ * most_parts * D * sizeof(float)));
  CHECK(cudaMemcpy(sc.q, hq.data(), hq.size() * sizeof(T), cudaMemcpyHostToDevice));
  CHECK(cudaMemcpy(sc.k, hk.data(), pool * sizeof(T), cudaMemcpyHostToDevice));
  CHECK(cudaMemcpy(sc.v, hv.data(), pool * sizeof(T), cudaMemcpyHostToDevice));
  // Rows and tables of a scene: R rows ending at `len`, each with the first blocks of the shuffled order.
  auto set = [&](int R, int len) {
    sc.R = R;
    sc.len = len;
    std::vector<int32_t> tables(size_t(R) * sc.max_blocks()), lens(R);
    for (int r = 0; r < R; r++) {
      std::copy(ids.begin(), ids.begin() + sc.max_blocks(), tables.begin() + size_t(r) * sc.max_blocks());
      lens[r] = len - R + r + 1;
    }
    CHECK(cudaMemcpy(sc.tables, tables.data(), tables.size() * sizeof(int32_t), cudaMemcpyHostToDevice));
    CHECK(cudaMemcpy(sc.lens, lens.data(), lens.size() * sizeof(int32_t), cudaMemcpyHostToDevice));
  };
  cudaDeviceProp prop;
  CHECK(cudaGetDeviceProperties(&prop, 0));
  std::printf("%s: %d/%d heads, head dim %d, bfloat16, blocks of %d\n", prop.name, HQ, HKV, D, BS);

  set(16, 2064);
  std::printf("a prefix hit: 16 rows at 2048..2063\n");
  const auto a = run_new<64, 4>(sc);
  const auto a128 = run_new<128, 4>(sc);
  const auto a32 = run_new<32, 4>(sc);
  const auto q2 = run_new<64, 2>(sc);
  const auto q1 = run_new<64, 1>(sc);
  std::printf("  largest difference from partitions of 64 at 4 queries a warp: partitions of 128 %.3g, of 32 %.3g; 2 "
              "queries a warp %.3g, 1 %.3g\n", diff(a, a128), diff(a, a32), diff(a, q2), diff(a, q1));
#ifdef OLD_DIR
  const auto o = run_chunk<64, 4, chunk_old<T, D, NW, TK, 4, 64, SCALE_BITS, 0, 0>, merge_old<T, D>>("old", sc);
  const auto mixed =
      run_chunk<64, 4, chunk_new<T, D, NW, TK, 4, 64, SCALE_BITS, 0, 0>, merge_old<T, D>>("new chunk, old merge", sc);
  std::printf("  largest difference from the old: new %.3g, new chunk with the old merge %.3g\n", diff(a, o),
              diff(mixed, o));
#endif
  for (int len : {2064, MOST_KEYS}) {
    set(1, len);
    std::printf("a lone decode row over %d keys\n", len);
    const auto s1 = run_serial(sc);
    const auto c1 = run_new<64, 1>(sc);
    const auto c1b = run_new<128, 1>(sc);
    std::printf("  largest difference from the serial kernel: chunk %.3g, chunk over partitions of 128 %.3g\n",
                diff(c1, s1), diff(c1b, s1));
  }
  return 0;
}
