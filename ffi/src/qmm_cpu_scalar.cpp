// Portable kernels of the CPU quantized matmul: plain loops that any compiler can vectorize for its baseline.
// They fix the summation order that the SIMD kernels follow (per group: the dot product of q and x, scaled, plus
// the bias times the group's sum of x), so both paths agree to float32 rounding.
#include <mlx/types/half_types.h>

#include "qmm_cpu.h"

namespace vmlx::qmm_cpu {
namespace {

namespace mx = mlx::core;

float load_one(const void* src, Dtype dt, int i) {
  switch (dt) {
    case Dtype::f32: return static_cast<const float*>(src)[i];
    case Dtype::f16: return static_cast<float>(static_cast<const mx::float16_t*>(src)[i]);
    case Dtype::bf16: return static_cast<float>(static_cast<const mx::bfloat16_t*>(src)[i]);
  }
  return 0.0f;
}

void to_float(const void* src, Dtype dt, float* dst, int count) {
  for (int i = 0; i < count; ++i) dst[i] = load_one(src, dt, i);
}

void from_float(const float* src, Dtype dt, void* dst, int count) {
  for (int i = 0; i < count; ++i) {
    switch (dt) {
      case Dtype::f32: static_cast<float*>(dst)[i] = src[i]; break;
      case Dtype::f16: static_cast<mx::float16_t*>(dst)[i] = mx::float16_t(src[i]); break;
      case Dtype::bf16: static_cast<mx::bfloat16_t*>(dst)[i] = mx::bfloat16_t(src[i]); break;
    }
  }
}

// The k-th field of a row (bits 4 or 8).
inline int field(const uint8_t* row, int bits, int k) {
  if (bits == 8) return row[k];
  uint8_t byte = row[k >> 1];
  return (k & 1) ? byte >> 4 : byte & 0x0F;
}

void gemv(const GemvArgs& a, int n0, int n1) {
  const Problem& p = *a.p;
  const int K = p.K, G = p.group, groups = K / G, row_bytes = K * p.bits / 8;
  for (int n = n0; n < n1; ++n) {
    const uint8_t* row = reinterpret_cast<const uint8_t*>(p.w) + static_cast<size_t>(n) * row_bytes;
    float acc[GEMV_MAX_ROWS] = {};
    float bias_acc[GEMV_MAX_ROWS] = {};
    for (int g = 0; g < groups; ++g) {
      size_t at = static_cast<size_t>(n) * groups + g;
      float s = load_one(p.scales, p.s_dtype, at), b = load_one(p.biases, p.s_dtype, at);
      float dot[GEMV_MAX_ROWS] = {};
      for (int k = g * G; k < (g + 1) * G; ++k) {
        float q = static_cast<float>(field(row, p.bits, k));
        for (int m = 0; m < a.rows; ++m) dot[m] += q * a.x[static_cast<size_t>(m) * K + k];
      }
      for (int m = 0; m < a.rows; ++m) {
        acc[m] += s * dot[m];
        bias_acc[m] += b * a.xsum[static_cast<size_t>(m) * groups + g];
      }
    }
    for (int m = 0; m < a.rows; ++m) a.res[static_cast<size_t>(m) * p.N + n] = acc[m] + bias_acc[m];
  }
}

void dequant_row(const Problem& p, int n, float* dst) {
  const int K = p.K, G = p.group, groups = K / G, row_bytes = K * p.bits / 8;
  const uint8_t* row = reinterpret_cast<const uint8_t*>(p.w) + static_cast<size_t>(n) * row_bytes;
  for (int g = 0; g < groups; ++g) {
    size_t at = static_cast<size_t>(n) * groups + g;
    float s = load_one(p.scales, p.s_dtype, at), b = load_one(p.biases, p.s_dtype, at);
    for (int k = g * G; k < (g + 1) * G; ++k) dst[k] = s * static_cast<float>(field(row, p.bits, k)) + b;
  }
}

void micro(const float* a, const float* b, int K, float* c) {
  float acc[MR][NR] = {};
  for (int k = 0; k < K; ++k) {
    const float* ak = a + static_cast<size_t>(k) * MR;
    const float* bk = b + static_cast<size_t>(k) * NR;
    for (int r = 0; r < MR; ++r) {
      for (int j = 0; j < NR; ++j) acc[r][j] += ak[r] * bk[j];
    }
  }
  for (int r = 0; r < MR; ++r) {
    for (int j = 0; j < NR; ++j) c[r * NR + j] = acc[r][j];
  }
}

}  // namespace

const Kernels& scalar_kernels() {
  static const Kernels k{gemv, dequant_row, micro, to_float, from_float};
  return k;
}

}  // namespace vmlx::qmm_cpu
