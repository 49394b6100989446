// Memory our direct launches hand to MLX as array data (see direct.h): device buffers for kernel outputs and pinned
// host buffers for small inputs read in place, each kept by size in a pool of our own and given back by the
// array's deleter. The wheel's libmlx does not export its stream-ordered device allocation, and its host `malloc`
// gives managed memory (which it converts device buffers into, taken from its cache). MLX holds a kernel's inputs
// and outputs until the device has run it, so a buffer returns to its pool only after that.
#pragma once
#include <mlx/backend/cuda/device.h>

#include "../common.h"

namespace vmlx::cuda::buffers {

// `nbytes` of device memory, allocated on the encoder's stream (cuMemAllocAsync, as MLX allocates its own kernels'
// outputs) when the pool has none of that size. Should MLX move the buffer to managed memory (a host read of the
// array), the deleter frees it instead of keeping it.
mx::allocator::Data device(size_t nbytes, mx::cu::CommandEncoder& enc);

// `nbytes` of pinned, device-mapped host memory (device -1 in MLX's terms: kernels read it in place).
mx::allocator::Data pinned(size_t nbytes, const mx::Stream& s);

// Frees every kept buffer (with MLX's clear_cache: the idle release).
void release_cached();

}  // namespace vmlx::cuda::buffers
