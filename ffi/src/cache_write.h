// Writing a step's keys and values into the paged KV pools in place (vmlx_reshape_and_cache), internal.
#pragma once
#include <optional>
#include <utility>

#include "common.h"

namespace vmlx::cache_write {

struct Args {
  mx::array k_pool;        // [num_blocks, block_size, Hkv, D]
  mx::array v_pool;        // same shape and dtype
  mx::array k;             // [T, Hkv, D], contiguous, the pools' dtype
  mx::array v;             // same
  mx::array slot_mapping;  // int32 [T], contiguous
};

// When `pool` is a not-yet-evaluated view returned by the GPU write, the write's token (an output of the write
// kernel). MLX's GPU backends order kernels by the arrays they declare as inputs and outputs, and the write goes
// through the pool behind that bookkeeping, so a kernel that reads the pool must also take the token as an input
// to be ordered after the write. Evaluated views and CPU results need nothing (nullopt).
std::optional<mx::array> write_token(const mx::array& pool);

// `x` (an integer array, e.g. block tables) made to depend on `pool`'s write token (x + 0 * token), so that
// whatever reads the pool through x runs after the write; `x` itself when there is no token.
mx::array order_after_write(const mx::array& x, const mx::array& pool, const mx::Stream& s);

// vmlx_reshape_and_cache: validates, casts k and v to the pools' dtype, then writes (the GPU kernel, or on the CPU
// a primitive whose outputs share the pools' buffers). Returns the written pools' views.
std::pair<mx::array, mx::array> write(const mx::array& k_pool, const mx::array& v_pool, const mx::array& k,
                                      const mx::array& v, const mx::array& slot_mapping, const mx::Stream& s);

// The GPU builds' kernel: writes through the pools' buffers and returns views of them that depend on the write.
// Throws std::invalid_argument on a build without one.
std::pair<mx::array, mx::array> kernel(const Args& a, const mx::Stream& s);

}  // namespace vmlx::cache_write
