// AVX2 + FMA + F16C kernels of the CPU quantized matmul. Compiled with target attributes, not with -mavx2, so the
// rest of the library (and anything inlined from headers) keeps the baseline instruction set: the driver calls
// these only after checking the CPU at run time. Everything here has internal linkage.
#include "qmm_cpu.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#include <cstddef>
#include <cstring>

#define VMLX_AVX2 __attribute__((target("avx2,fma,f16c")))

namespace vmlx::qmm_cpu {
namespace {

VMLX_AVX2 inline __m256 load8(const void* src, Dtype dt, size_t i) {
  switch (dt) {
    case Dtype::f32: return _mm256_loadu_ps(static_cast<const float*>(src) + i);
    case Dtype::f16:
      return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(static_cast<const uint16_t*>(src) + i)));
    case Dtype::bf16: {
      __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(static_cast<const uint16_t*>(src) + i));
      return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
    }
  }
  return _mm256_setzero_ps();
}

VMLX_AVX2 inline float load1(const void* src, Dtype dt, size_t i) {
  switch (dt) {
    case Dtype::f32: return static_cast<const float*>(src)[i];
    case Dtype::f16: return _cvtsh_ss(static_cast<const uint16_t*>(src)[i]);
    case Dtype::bf16: {
      uint32_t u = static_cast<uint32_t>(static_cast<const uint16_t*>(src)[i]) << 16;
      float f;
      std::memcpy(&f, &u, sizeof f);
      return f;
    }
  }
  return 0.0f;
}

VMLX_AVX2 void to_float(const void* src, Dtype dt, float* dst, int count) {
  int i = 0;
  for (; i + 8 <= count; i += 8) _mm256_storeu_ps(dst + i, load8(src, dt, i));
  for (; i < count; ++i) dst[i] = load1(src, dt, i);
}

// float32 -> bfloat16 with round-to-nearest-even (NaN stays a quiet NaN), eight at a time.
VMLX_AVX2 inline __m128i to_bf16(__m256 v) {
  __m256i u = _mm256_castps_si256(v);
  __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(1));
  __m256i r = _mm256_srli_epi32(_mm256_add_epi32(u, _mm256_add_epi32(_mm256_set1_epi32(0x7FFF), lsb)), 16);
  __m256i nan = _mm256_castps_si256(_mm256_cmp_ps(v, v, _CMP_UNORD_Q));
  r = _mm256_blendv_epi8(r, _mm256_set1_epi32(0x7FC0), nan);
  return _mm_packus_epi32(_mm256_castsi256_si128(r), _mm256_extracti128_si256(r, 1));
}

VMLX_AVX2 void from_float(const float* src, Dtype dt, void* dst, int count) {
  int i = 0;
  if (dt == Dtype::f32) {
    std::memcpy(dst, src, sizeof(float) * count);
    return;
  }
  auto* out = static_cast<uint16_t*>(dst);
  for (; i + 8 <= count; i += 8) {
    __m256 v = _mm256_loadu_ps(src + i);
    __m128i h = dt == Dtype::f16 ? _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT) : to_bf16(v);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), h);
  }
  if (i < count) scalar_kernels().from_float(src + i, dt, out + i, count - i);
}

// 32 consecutive fields as float32, in order: 16 bytes of nibbles (low nibble first) or 32 bytes.
template <int BITS>
VMLX_AVX2 inline void unpack32(const uint8_t* src, __m256 f[4]) {
  if constexpr (BITS == 4) {
    const __m128i mask = _mm_set1_epi8(0x0F);
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src));
    __m128i lo = _mm_and_si128(v, mask);
    __m128i hi = _mm_and_si128(_mm_srli_epi16(v, 4), mask);
    __m128i a = _mm_unpacklo_epi8(lo, hi);  // fields 0..15
    __m128i b = _mm_unpackhi_epi8(lo, hi);  // fields 16..31
    f[0] = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(a));
    f[1] = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(a, 8)));
    f[2] = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(b));
    f[3] = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(b, 8)));
  } else {
    for (int i = 0; i < 4; ++i) {
      __m128i v = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(src + 8 * i));
      f[i] = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(v));
    }
  }
}

VMLX_AVX2 inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// A decode's weights stream from memory once a token, in rows of a few hundred bytes: too short for the hardware
// prefetcher to run ahead, so a row's product waits on memory latency. Each row asks for a later row's weights,
// scales and biases first.
constexpr int PREFETCH_ROWS = 4;

VMLX_AVX2 inline void prefetch_row(const Problem& p, const uint8_t* w, size_t bytes, size_t sb) {
  for (size_t off = 0; off < bytes; off += 64) _mm_prefetch(reinterpret_cast<const char*>(w + off), _MM_HINT_T0);
  const size_t es = p.s_dtype == Dtype::f32 ? 4 : 2;
  _mm_prefetch(static_cast<const char*>(p.scales) + sb * es, _MM_HINT_T0);
  _mm_prefetch(static_cast<const char*>(p.biases) + sb * es, _MM_HINT_T0);
}

// Per group: s * (q . x) + b * sum(x), the dot in two chains of FMAs per row.
template <int BITS, int ROWS>
VMLX_AVX2 void gemv_rows(const GemvArgs& a, int n0, int n1) {
  const Problem& p = *a.p;
  const int K = p.K, G = p.group, groups = K / G;
  const size_t row_bytes = static_cast<size_t>(K) * BITS / 8;
  constexpr int BLOCK_BYTES = 32 * BITS / 8;
  for (int n = n0; n < n1; ++n) {
    const uint8_t* row = reinterpret_cast<const uint8_t*>(p.w) + n * row_bytes;
    const size_t sb = static_cast<size_t>(n) * groups;
    if (n + PREFETCH_ROWS < n1) {
      prefetch_row(p, row + PREFETCH_ROWS * row_bytes, row_bytes, sb + PREFETCH_ROWS * groups);
    }
    __m256 acc[ROWS];
    float bias_acc[ROWS];
    for (int m = 0; m < ROWS; ++m) {
      acc[m] = _mm256_setzero_ps();
      bias_acc[m] = 0.0f;
    }
    for (int g = 0; g < groups; ++g) {
      __m256 d0[ROWS], d1[ROWS];
      for (int m = 0; m < ROWS; ++m) d0[m] = d1[m] = _mm256_setzero_ps();
      for (int k = g * G; k < (g + 1) * G; k += 32) {
        __m256 f[4];
        unpack32<BITS>(row + (k / 32) * BLOCK_BYTES, f);
        for (int m = 0; m < ROWS; ++m) {
          const float* xp = a.x + static_cast<size_t>(m) * K + k;
          d0[m] = _mm256_fmadd_ps(f[0], _mm256_loadu_ps(xp), d0[m]);
          d1[m] = _mm256_fmadd_ps(f[1], _mm256_loadu_ps(xp + 8), d1[m]);
          d0[m] = _mm256_fmadd_ps(f[2], _mm256_loadu_ps(xp + 16), d0[m]);
          d1[m] = _mm256_fmadd_ps(f[3], _mm256_loadu_ps(xp + 24), d1[m]);
        }
      }
      __m256 s = _mm256_set1_ps(load1(p.scales, p.s_dtype, sb + g));
      float b = load1(p.biases, p.s_dtype, sb + g);
      for (int m = 0; m < ROWS; ++m) {
        acc[m] = _mm256_fmadd_ps(s, _mm256_add_ps(d0[m], d1[m]), acc[m]);
        bias_acc[m] += b * a.xsum[static_cast<size_t>(m) * groups + g];
      }
    }
    for (int m = 0; m < ROWS; ++m) a.res[static_cast<size_t>(m) * p.N + n] = hsum(acc[m]) + bias_acc[m];
  }
}

template <int BITS>
VMLX_AVX2 void gemv_bits(const GemvArgs& a, int n0, int n1) {
  switch (a.rows) {
    case 1: return gemv_rows<BITS, 1>(a, n0, n1);
    case 2: return gemv_rows<BITS, 2>(a, n0, n1);
    case 3: return gemv_rows<BITS, 3>(a, n0, n1);
    default: return gemv_rows<BITS, 4>(a, n0, n1);
  }
}

VMLX_AVX2 void gemv(const GemvArgs& a, int n0, int n1) {
  if (a.p->bits == 4) return gemv_bits<4>(a, n0, n1);
  return gemv_bits<8>(a, n0, n1);
}

template <int BITS>
VMLX_AVX2 void dequant_row_bits(const Problem& p, int n, float* dst) {
  const int K = p.K, G = p.group, groups = K / G;
  const uint8_t* row = reinterpret_cast<const uint8_t*>(p.w) + static_cast<size_t>(n) * K * BITS / 8;
  const size_t sb = static_cast<size_t>(n) * groups;
  for (int g = 0; g < groups; ++g) {
    __m256 s = _mm256_set1_ps(load1(p.scales, p.s_dtype, sb + g));
    __m256 b = _mm256_set1_ps(load1(p.biases, p.s_dtype, sb + g));
    for (int k = g * G; k < (g + 1) * G; k += 32) {
      __m256 f[4];
      unpack32<BITS>(row + k * BITS / 8, f);
      for (int i = 0; i < 4; ++i) _mm256_storeu_ps(dst + k + 8 * i, _mm256_fmadd_ps(f[i], s, b));
    }
  }
}

VMLX_AVX2 void dequant_row(const Problem& p, int n, float* dst) {
  if (p.bits == 4) return dequant_row_bits<4>(p, n, dst);
  return dequant_row_bits<8>(p, n, dst);
}

// The 6 x 16 register tile: 12 accumulators, two loads of b and six broadcasts of a per k.
VMLX_AVX2 void micro(const float* a, const float* b, int K, float* c) {
  static_assert(MR == 6 && NR == 16, "the AVX2 micro-kernel is written for a 6 x 16 tile");
  __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
  __m256 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  for (int k = 0; k < K; ++k, a += MR, b += NR) {
    __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
    __m256 x = _mm256_broadcast_ss(a + 0);
    c00 = _mm256_fmadd_ps(x, b0, c00);
    c01 = _mm256_fmadd_ps(x, b1, c01);
    x = _mm256_broadcast_ss(a + 1);
    c10 = _mm256_fmadd_ps(x, b0, c10);
    c11 = _mm256_fmadd_ps(x, b1, c11);
    x = _mm256_broadcast_ss(a + 2);
    c20 = _mm256_fmadd_ps(x, b0, c20);
    c21 = _mm256_fmadd_ps(x, b1, c21);
    x = _mm256_broadcast_ss(a + 3);
    c30 = _mm256_fmadd_ps(x, b0, c30);
    c31 = _mm256_fmadd_ps(x, b1, c31);
    x = _mm256_broadcast_ss(a + 4);
    c40 = _mm256_fmadd_ps(x, b0, c40);
    c41 = _mm256_fmadd_ps(x, b1, c41);
    x = _mm256_broadcast_ss(a + 5);
    c50 = _mm256_fmadd_ps(x, b0, c50);
    c51 = _mm256_fmadd_ps(x, b1, c51);
  }
  const __m256 rows[MR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
  for (int r = 0; r < MR; ++r) {
    _mm256_storeu_ps(c + r * NR, rows[r][0]);
    _mm256_storeu_ps(c + r * NR + 8, rows[r][1]);
  }
}

}  // namespace

const Kernels* avx2_kernels() {
  static const Kernels k{gemv, dequant_row, micro, to_float, from_float};
  return &k;
}

}  // namespace vmlx::qmm_cpu

#else

namespace vmlx::qmm_cpu {
const Kernels* avx2_kernels() { return nullptr; }
}  // namespace vmlx::qmm_cpu

#endif
