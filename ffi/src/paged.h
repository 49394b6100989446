// Paged attention, internal: the arguments shared by the reference path and the GPU kernels.
#pragma once
#include <optional>
#include <string>

#include "common.h"

namespace vmlx::paged {

struct Args {
  mx::array queries;       // [B, Hq, L, D]
  mx::array k_pool;        // [num_blocks, block_size, Hkv, D]
  mx::array v_pool;        // [num_blocks, block_size, Hkv, D]
  mx::array block_tables;  // int32 [B, max_blocks]
  mx::array seq_lens;      // int32 [B]
  float scale;
  std::optional<int> window;
  std::optional<float> softcap;
  // The B rows share one block table (one sequence's queries: a prefill chunk split into single-query rows, pads
  // included), each at its own seq_lens[b]. A kernel may read each key once for all of them (through row 0's table);
  // every path is right either way.
  bool one_sequence = false;
};

// vmlx_paged_attention: validates, casts the indices to int32, then runs `path` ("auto", "reference", "kernel" or
// "cpu").
mx::array attention(const mx::array& queries, const mx::array& k_pool, const mx::array& v_pool,
                    const mx::array& block_tables, const mx::array& seq_lens, float scale, std::optional<int> window,
                    std::optional<float> softcap, const std::string& path, const mx::Stream& s,
                    bool one_sequence = false);

// MLX ops only: gather, mask, SDPA (or an explicit softmax when soft-capping). Any backend, any L.
mx::array reference(const Args& a, const mx::Stream& s);

// True when the CPU kernel (float32 on a CPU stream, any L, sliding window, no soft-capping) handles `a` on `s`.
bool cpu_kernel_supports(const Args& a, const mx::Stream& s);
// The CPU kernel; throws std::invalid_argument where cpu_kernel_supports is false.
mx::array cpu_kernel(const Args& a, const mx::Stream& s);

// True when this build has a kernel and it handles `a` on stream `s`.
bool kernel_supports(const Args& a, const mx::Stream& s);
// The decode kernel (L == 1); throws std::invalid_argument where kernel_supports is false.
mx::array kernel(const Args& a, const mx::Stream& s);

}  // namespace vmlx::paged
