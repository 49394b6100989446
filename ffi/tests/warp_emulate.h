// What the host emulations of our CUDA kernels share (qmv_emulate.cpp, paged_chunk_emulate.cpp): the device types
// and intrinsics the kernel bodies use, with each warp's 32 lanes as 32 threads. A shuffle exchanges through the
// warp's slots and barrier, __syncthreads is the block's barrier, and one block runs at a time, so a function's
// statics (`__shared__` defined as `static` around the body) are its shared memory. Set threadIdx, blockIdx,
// blockDim, gridDim, `warp` and `block` in each thread before it runs a body.
#pragma once
#include <math.h>

#include <barrier>
#include <cstdint>
#include <cstring>
#include <limits>

namespace cuda {
namespace std = ::std;  // cuda::std::numeric_limits
}

namespace emu {

struct uint4 {
  uint32_t x, y, z, w;
};
struct uint2 {
  uint32_t x, y;
};
struct float4 {
  float x, y, z, w;
};
inline uint4 make_uint4(uint32_t a, uint32_t b, uint32_t c, uint32_t d) { return {a, b, c, d}; }
inline float __uint_as_float(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
inline float __int_as_float(int i) {
  float f;
  std::memcpy(&f, &i, 4);
  return f;
}
using ::expf;
using ::fmaf;
using ::fmaxf;
using ::tanhf;
inline int min(int a, int b) { return a < b ? a : b; }
inline int max(int a, int b) { return a > b ? a : b; }
template <typename V>
V __ldcs(const V* p) {
  return *p;
}

// bfloat16 as the device stores it: the high half of a float32, rounded to nearest even.
struct bf16 {
  uint16_t bits;
  bf16() = default;
  explicit bf16(float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    bits = static_cast<uint16_t>((u + 0x7FFFu + ((u >> 16) & 1u)) >> 16);
  }
  explicit operator float() const {
    uint32_t u = uint32_t(bits) << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
  }
};

struct Dim3 {
  int x, y, z;
};

// One warp's lanes: shuffle slots and the barrier they meet at.
struct Warp {
  float slots[32];
  std::barrier<> sync{32};
};

inline thread_local Dim3 threadIdx;
inline thread_local Dim3 blockIdx;
inline thread_local Dim3 blockDim;
inline thread_local Dim3 gridDim;
inline thread_local Warp* warp;
inline thread_local std::barrier<>* block;  // the block's threads, for __syncthreads

// This lane's `v` for the lane `from`'s, within the warp (linear lane index: threadIdx.x % 32).
inline float exchange(float v, int from) {
  const int lane = threadIdx.x % 32;
  warp->slots[lane] = v;
  warp->sync.arrive_and_wait();
  const float other = warp->slots[from];
  warp->sync.arrive_and_wait();
  return other;
}
inline float __shfl_xor_sync(unsigned, float v, int mask) { return exchange(v, (threadIdx.x % 32) ^ mask); }
inline int __shfl_xor_sync(unsigned, int v, int mask) {
  float f;
  std::memcpy(&f, &v, 4);
  f = exchange(f, (threadIdx.x % 32) ^ mask);
  std::memcpy(&v, &f, 4);
  return v;
}
inline float __shfl_sync(unsigned, float v, int lane) { return exchange(v, lane); }
inline void __syncwarp() { warp->sync.arrive_and_wait(); }
inline void __syncthreads() { block->arrive_and_wait(); }

}  // namespace emu
