// Writing a step's keys and values into the paged KV pools in place (vmlx_reshape_and_cache), internal.
#pragma once
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

// The GPU builds' kernel: writes through the pools' buffers and returns views of them that depend on the write.
// Throws std::invalid_argument on a build without one.
std::pair<mx::array, mx::array> kernel(const Args& a, const mx::Stream& s);

}  // namespace vmlx::cache_write
