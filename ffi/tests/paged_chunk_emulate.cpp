// Runs the bodies of ffi/kernels/paged_attention_chunk.cu (after its header, paged_attention.cuh) and
// paged_attention_merge.cu on the host: each warp's 32 lanes are 32 threads, shuffles exchange through the warp's
// barrier, __syncthreads is the block's barrier, and one block runs at a time (so a function's statics are its
// shared memory). The grid is the one ffi/src/cuda/paged_cuda.cpp launches (launch_chunk). Each case compares the
// merged output with a float64 causal attention of the same rows, so the kernel's tiling, partitions, rounds of
// queries, GQA, windows, soft-capping, unaligned pools and masking of keys past a row run as written on machines
// without a GPU (src/mlx/ops/paged-chunk-emulate.test.ts compiles and runs it); the device's own arithmetic is
// checked on a GPU (src/mlx/ops/paged.test.ts).
//   g++ -std=c++20 -O1 -pthread -I ffi/kernels ffi/tests/paged_chunk_emulate.cpp -o chunk_emulate && ./chunk_emulate
// Prints one line a case and exits 1 when any case is off by more than its tolerance.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <random>
#include <thread>
#include <vector>

#include "warp_emulate.h"

namespace emu {

struct Shape {
  int32_t v[8];
  int32_t operator[](int i) const { return v[i]; }
};

#define __device__
#define __forceinline__ inline
#define __align__(n) __attribute__((aligned(n)))
#include "paged_attention.cuh"
#define __shared__ static
template <typename T, int D, int NW, int TK, int QW, int PART, int SCALE_BITS, int SOFTCAP_BITS, int WINDOW>
void chunk_body(const T* q, const T* k_pool, const T* v_pool, const int32_t* block_tables, const int32_t* seq_lens,
                const int32_t* after, Shape q_shape, Shape k_pool_shape, Shape block_tables_shape, float* part_ml,
                float* part_acc) {
#include "paged_attention_chunk.cu"
}
template <typename T, int D>
void merge_body(const float* part_ml, const float* part_acc, Shape part_ml_shape, T* out) {
#include "paged_attention_merge.cu"
}
#undef __shared__

constexpr int NW = 8, TK = 32, PART = 64;  // as ffi/src/cuda/paged_cuda.cpp launches

// The grid of launch_chunk: P partitions x Hkv x Z rounds of queries, blocks of NW warps, one block after another,
// then the merge. `rounds` 0: the launcher's (a block for each round of NW * QW queries); 1: every round in one block.
template <typename T, int D, int QW, int SCALE_BITS, int SOFTCAP_BITS, int WINDOW>
void launch(const T* q, const T* kp, const T* vp, const int32_t* tables, const int32_t* lens, int R, int Hq,
            int num_blocks, int block_size, int Hkv, int max_blocks, T* out, int rounds) {
  const int P = (max_blocks * block_size + PART - 1) / PART;
  const int Z = rounds > 0 ? rounds : (R * (Hq / Hkv) + NW * QW - 1) / (NW * QW);
  const Shape q_shape{{R, Hq, 1, D}}, k_shape{{num_blocks, block_size, Hkv, D}}, t_shape{{R, max_blocks}};
  std::vector<float> ml(size_t(R) * Hq * P * 2, std::nanf("")), acc(size_t(R) * Hq * P * D, std::nanf(""));
  for (int z = 0; z < Z; z++) {
    for (int kv = 0; kv < Hkv; kv++) {
      for (int p = 0; p < P; p++) {
        Warp warps[NW];
        std::barrier<> bar(32 * NW);
        std::vector<std::thread> threads;
        for (int t = 0; t < 32 * NW; t++) {
          threads.emplace_back([&, t] {
            blockIdx = {p, kv, z};
            gridDim = {P, Hkv, Z};
            blockDim = {32 * NW, 1, 1};
            threadIdx = {t, 0, 0};
            warp = &warps[t / 32];
            block = &bar;
            chunk_body<T, D, NW, TK, QW, PART, SCALE_BITS, SOFTCAP_BITS, WINDOW>(
                q, kp, vp, tables, lens, lens, q_shape, k_shape, t_shape, ml.data(), acc.data());
          });
        }
        for (auto& th : threads) th.join();
      }
    }
  }
  const Shape ml_shape{{R, Hq, P, 2}};
  for (int b = 0; b < R; b++) {
    for (int h = 0; h < Hq; h++) {
      std::barrier<> bar(D);
      std::vector<std::thread> threads;
      for (int i = 0; i < D; i++) {
        threads.emplace_back([&, i] {
          blockIdx = {0, h, b};
          threadIdx = {i, 0, 0};
          block = &bar;
          merge_body<T, D>(ml.data(), acc.data(), ml_shape, out);
        });
      }
      for (auto& th : threads) th.join();
    }
  }
}

struct Case {
  const char* name;
  int R, Hq, Hkv, block_size, prefix;  // rows sit at positions prefix .. prefix + R - 1
  bool unaligned;                      // pools one element past a 16-byte boundary
  int rounds = 0;                      // blocks of queries along z: 0 the launcher's, 1 all rounds in one block
  int pads = 0;                        // of the R rows, the last `pads` repeat the row before them (a step's pad rows)
};

constexpr float SCALE = 0.125f;
constexpr int SCALE_BITS = std::bit_cast<int>(SCALE);
constexpr int CAP30 = std::bit_cast<int>(30.0f);

// One case: random pools, queries and a shuffled block table; the kernel's merged [R, Hq, 1, D] against a float64
// attention of each row (row r at position prefix + r over keys up to it, under the window and softcap).
template <typename T, int D, int QW, int SOFTCAP_BITS, int WINDOW>
bool check(const char* tname, const Case& c, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> U(-1.0f, 1.0f);
  const int total = c.prefix + c.R - c.pads;
  const int max_blocks = (total + c.block_size - 1) / c.block_size;
  const int num_blocks = max_blocks + 3;
  // The sequence's blocks in a shuffled order; every row gets the same table, as the engine passes a split chunk.
  std::vector<int32_t> ids(num_blocks);
  std::iota(ids.begin(), ids.end(), 0);
  std::shuffle(ids.begin(), ids.end(), rng);
  std::vector<int32_t> tables(size_t(c.R) * max_blocks), lens(c.R);
  for (int r = 0; r < c.R; r++) {
    std::copy(ids.begin(), ids.begin() + max_blocks, tables.begin() + size_t(r) * max_blocks);
    lens[r] = c.prefix + std::min(r, c.R - 1 - c.pads) + 1;
  }
  const size_t pool = size_t(num_blocks) * c.block_size * c.Hkv * D;
  std::vector<T> kbuf(pool + 1), vbuf(pool + 1), qs(size_t(c.R) * c.Hq * D);
  for (auto& x : kbuf) x = T(U(rng));
  for (auto& x : vbuf) x = T(U(rng));
  for (auto& x : qs) x = T(U(rng) * 2.0f);
  const T* kp = kbuf.data() + (c.unaligned ? 1 : 0);
  const T* vp = vbuf.data() + (c.unaligned ? 1 : 0);
  std::vector<T> out(size_t(c.R) * c.Hq * D, T(std::nanf("")));
  launch<T, D, QW, SCALE_BITS, SOFTCAP_BITS, WINDOW>(qs.data(), kp, vp, tables.data(), lens.data(), c.R, c.Hq,
                                                      num_blocks, c.block_size, c.Hkv, max_blocks, out.data(),
                                                      c.rounds);
  const double softcap = SOFTCAP_BITS ? double(__int_as_float(SOFTCAP_BITS)) : 0.0;
  const int group = c.Hq / c.Hkv;
  double worst = 0;
  for (int r = 0; r < c.R; r++) {
    const int len = lens[r];
    const int start = WINDOW > 0 && len > WINDOW ? len - WINDOW : 0;
    for (int h = 0; h < c.Hq; h++) {
      const T* qv = qs.data() + (size_t(r) * c.Hq + h) * D;
      std::vector<double> w(len, 0.0);
      double top = -INFINITY;
      for (int t = start; t < len; t++) {
        const size_t at = ((size_t(ids[t / c.block_size]) * c.block_size + t % c.block_size) * c.Hkv + h / group) * D;
        double dot = 0;
        for (int d = 0; d < D; d++) dot += double(float(qv[d])) * double(float(kp[at + d]));
        dot *= SCALE;
        if (softcap > 0) dot = softcap * std::tanh(dot / softcap);
        w[t] = dot;
        top = std::max(top, dot);
      }
      double sum = 0;
      for (int t = start; t < len; t++) sum += (w[t] = std::exp(w[t] - top));
      for (int d = 0; d < D; d++) {
        double o = 0;
        for (int t = start; t < len; t++) {
          const size_t at = ((size_t(ids[t / c.block_size]) * c.block_size + t % c.block_size) * c.Hkv + h / group) * D;
          o += w[t] / sum * double(float(vp[at + d]));
        }
        // float32 sums over the keys, then one rounding to T
        const double tol = 2e-5 + (sizeof(T) == 2 ? std::fabs(o) * std::ldexp(1.0, -8) : 1e-6 * std::fabs(o));
        const double err = std::fabs(double(float(out[(size_t(r) * c.Hq + h) * D + d])) - o);
        const double ratio = err / tol;
        if (!(ratio <= worst)) worst = ratio;  // a NaN (an output never written) stays
      }
    }
  }
  const bool ok = worst <= 1.0;
  std::printf("%s %s D %d QW %d %s: rows %d, heads %d/%d, block %d, prefix %d%s%s%s%s: worst error %.3f of "
              "tolerance\n", ok ? "ok  " : "FAIL", tname, D, QW, c.name, c.R, c.Hq, c.Hkv, c.block_size, c.prefix,
              SOFTCAP_BITS ? ", softcap 30" : "", WINDOW ? ", window" : "", c.unaligned ? ", unaligned pools" : "",
              c.rounds == 1 ? ", rounds in one block" : c.pads ? ", pad rows" : "", worst);
  return ok;
}

}  // namespace emu

int main() {
  using emu::bf16;
  using emu::CAP30;
  using emu::check;
  int failed = 0, total = 0;
  auto count = [&](bool ok) {
    total++;
    failed += !ok;
  };
  // A prefix hit at Qwen3-0.6B's widths (16 rows over 200 keys: one round of 8 warps x 4 queries, partitions past
  // the last row's keys); MQA with more queries than a round holds (rounds repeat the tiles); rows whose window
  // starts inside a tile and differ from row to row; head dim 256 at one query a warp; float32 at two; head dim 96
  // with unaligned pools (element loads) and a partition boundary inside a block.
  count(check<bf16, 128, 4, 0, 0>("bfloat16", {"GQA 2:1", 16, 16, 8, 16, 200, false}, 1));
  count(check<float, 64, 4, CAP30, 0>("float32", {"MQA, 3 rounds", 11, 8, 1, 16, 75, false}, 2));
  count(check<float, 64, 4, CAP30, 0>("float32", {"MQA, 3 rounds", 11, 8, 1, 16, 75, false, 1}, 2));
  count(check<bf16, 64, 4, 0, 40>("bfloat16", {"GQA 4:1", 7, 8, 2, 16, 130, false}, 3));
  count(check<bf16, 256, 1, CAP30, 0>("bfloat16", {"GQA 2:1, 2 rounds", 5, 4, 2, 32, 70, false}, 4));
  count(check<bf16, 128, 4, 0, 0>("bfloat16", {"a short prompt's 40 rows, 3 rounds", 40, 4, 2, 16, 0, false}, 8));
  count(check<bf16, 64, 4, 0, 24>("bfloat16", {"10 rows and 6 pads of the last", 16, 4, 2, 16, 300, false, 0, 6}, 9));
  count(check<float, 128, 2, 0, 100>("float32", {"GQA 3:1", 9, 6, 2, 16, 140, false}, 5));
  count(check<bf16, 96, 4, 0, 0>("bfloat16", {"GQA 2:1", 6, 4, 2, 24, 57, true}, 6));
  count(check<float, 32 * 2, 4, 0, 0>("float32", {"one row a block's first key", 3, 2, 1, 16, 0, false}, 7));
  // A lone decode row over a long context (VLLM_MLX_PAGED_CHUNK=decode): its kv head's 2 or 4 queries, one a warp.
  count(check<bf16, 128, 1, 0, 0>("bfloat16", {"one decode row, GQA 2:1", 1, 4, 2, 16, 1099, false}, 10));
  count(check<bf16, 128, 1, 0, 0>("bfloat16", {"one decode row, GQA 4:1", 1, 4, 1, 16, 1500, false}, 11));
  std::printf("%d passed, %d failed\n", total - failed, failed);
  return failed ? 1 : 0;
}
