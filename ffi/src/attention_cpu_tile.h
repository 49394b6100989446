// The CPU attention kernel shared by vmlx_scaled_dot_product_attention (strided K/V) and paged attention's CPU path
// (K/V read through block tables), internal. q, k, v and out are float32, float16 or bfloat16 (one dtype); every
// sum runs in float32.
#pragma once
#include <cstddef>
#include <cstdint>

#include "cpu_dtype.h"

namespace vmlx::attention_cpu {

// out[b, h, i] = softmax over the visible keys j of row b of (scale * q[b, h, i] . k[b, h / rep, j]) v[...]:
// query i of row b sits at position n_b - L + i, where n_b is the row's key count, and sees keys
// [lo, hi): hi = position + 1 when causal, else n_b; lo = position - window + 1 with a window, else 0.
// A query that sees no key gets zeros.
using Dtype = CpuDtype;

struct Problem {
  Dtype dtype;     // of q, k, v and out
  const void* q;   // [B, Hq, L, D], row-contiguous
  void* out;       // [B, Hq, L, D]
  // Strided (block_tables null): k, v [B, Hkv, S, D], each key's D values contiguous, at the element strides below
  // (a cache buffer's first S positions need no copy). Paged: k, v [num_blocks, block_size, Hkv, D] and int32
  // block_tables [B, S / block_size].
  const void* k;
  const void* v;
  int64_t k_strides[3];  // batch, head, position (strided k only)
  int64_t v_strides[3];
  const int32_t* block_tables;
  int block_size;
  int num_blocks;
  // int32 [B]: key counts n_b (clamped to [0, S]); null: every row has S keys.
  const int32_t* seq_lens;
  int B, Hq, Hkv, L, S, D;
  float scale;
  bool causal;
  int window;  // 0: none
};

// Runs on the calling thread and the pool. Must not throw (it runs inside an MLX CPU task).
void run(const Problem& p);

}  // namespace vmlx::attention_cpu
