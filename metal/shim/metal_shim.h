// A C++14 stand-in for the parts of the Metal Shading Language that metal/*.metal use, so that the kernel bodies
// compile with a host C++ compiler (metal/metal-sources.test.ts). It erases Metal's address spaces and declares
// the built-ins with their Metal signatures; it computes nothing. What it can and cannot catch is written in
// metal/README.md.
#pragma once
#include <cmath>
#include <cstdint>

// Address spaces: erased. `device T*`, `constant T*`, `threadgroup T x[N]` and `thread T&` become plain C++.
#define device
#define constant
#define threadgroup
#define thread

namespace metal {

using uint = unsigned int;
using ushort = unsigned short;

// Scalar types Metal has and C++ lacks: storage-only stand-ins with Metal's implicit conversions to and
// from float.
struct half {
  half() = default;
  half(float) {}
  operator float() const { return 0.0f; }
};
struct bfloat16_t {
  bfloat16_t() = default;
  bfloat16_t(float) {}
  operator float() const { return 0.0f; }
};
template <typename T>
struct vec3 {
  T x, y, z;
};
using uint3 = vec3<uint>;

enum class mem_flags { mem_none = 0, mem_device = 1, mem_threadgroup = 2, mem_texture = 4 };
void threadgroup_barrier(mem_flags flags);
void simdgroup_barrier(mem_flags flags);

template <typename T> T simd_sum(T x);
template <typename T> T simd_max(T x);
template <typename T> T simd_min(T x);
template <typename T> T simd_shuffle(T x, ushort lane);
template <typename T> T simd_shuffle_xor(T x, ushort mask);
template <typename T> T simd_broadcast(T x, ushort lane);

float max(float a, float b);
float min(float a, float b);
float exp(float x);
float fast_exp(float x);
float log(float x);
float tanh(float x);
float rsqrt(float x);
float sqrt(float x);
float abs(float x);
float fma(float a, float b, float c);
float clamp(float x, float lo, float hi);
int max(int a, int b);
int min(int a, int b);
namespace precise {
float tanh(float x);
float exp(float x);
}  // namespace precise
namespace fast {
float tanh(float x);
float exp(float x);
}  // namespace fast

}  // namespace metal

using metal::bfloat16_t;
using metal::half;
using metal::uint;
using metal::uint3;
