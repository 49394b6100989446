// AVX-512 (F, BW, VL) kernels of the CPU quantized matmul: the GEMV of a decode and the GEMM micro-kernel of a
// prefill (a 6 x 32 tile) at twice the AVX2 kernels' width. Packing, dequantizing a row and the dtype conversions stay the AVX2
// kernels' (qmm_cpu_avx2.cpp), which this ISA implies. Compiled with target attributes like the AVX2 file, so the
// library keeps the baseline instruction set; the driver calls these only after checking the CPU at run time.
#include "qmm_cpu.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
// GCC 12's AVX-512 conversion intrinsics start from _mm512_undefined_*() and warn about it at every inlined use.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <cstddef>
#include <cstring>

#define VMLX_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx2,fma,f16c")))

namespace vmlx::qmm_cpu {
namespace {

VMLX_AVX512 inline float load1(const void* src, Dtype dt, size_t i) {
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

// 32 consecutive fields as float32, in order: fields 0..15 in f[0], 16..31 in f[1] (16 bytes of nibbles, low
// nibble first, or 32 bytes).
template <int BITS>
VMLX_AVX512 inline void unpack32(const uint8_t* src, __m512 f[2]) {
  if constexpr (BITS == 4) {
    const __m128i mask = _mm_set1_epi8(0x0F);
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src));
    const __m128i lo = _mm_and_si128(v, mask);
    const __m128i hi = _mm_and_si128(_mm_srli_epi16(v, 4), mask);
    f[0] = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_unpacklo_epi8(lo, hi)));
    f[1] = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_unpackhi_epi8(lo, hi)));
  } else {
    f[0] = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src))));
    f[1] = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + 16))));
  }
}

// A decode's weights stream from memory once a token, in rows of a few hundred bytes: too short for the hardware
// prefetcher to run ahead, so a row's product waits on memory latency. Each row asks for a later row's weights,
// scales and biases first.
constexpr int PREFETCH_ROWS = 4;

VMLX_AVX512 inline void prefetch_row(const Problem& p, const uint8_t* w, size_t bytes, size_t sb) {
  for (size_t off = 0; off < bytes; off += 64) _mm_prefetch(reinterpret_cast<const char*>(w + off), _MM_HINT_T0);
  const size_t es = p.s_dtype == Dtype::f32 ? 4 : 2;
  _mm_prefetch(static_cast<const char*>(p.scales) + sb * es, _MM_HINT_T0);
  _mm_prefetch(static_cast<const char*>(p.biases) + sb * es, _MM_HINT_T0);
}

// Per group: s * (q . x) + b * sum(x), the dot in two chains of FMAs per row (the AVX2 kernel's order, 16 lanes).
template <int BITS, int ROWS>
VMLX_AVX512 void gemv_rows(const GemvArgs& a, int n0, int n1) {
  const Problem& p = *a.p;
  const int K = p.K, G = p.group, groups = K / G;
  const size_t row_bytes = static_cast<size_t>(K) * BITS / 8;
  constexpr int BLOCK_BYTES = 32 * BITS / 8;
  for (int n = n0; n < n1; ++n) {
    const uint8_t* row = reinterpret_cast<const uint8_t*>(p.w) + n * row_bytes;
    const size_t sb = static_cast<size_t>(n) * groups;
    if (n + PREFETCH_ROWS < n1) prefetch_row(p, row + PREFETCH_ROWS * row_bytes, row_bytes, sb + PREFETCH_ROWS * groups);
    __m512 acc[ROWS];
    float bias_acc[ROWS];
    for (int m = 0; m < ROWS; ++m) {
      acc[m] = _mm512_setzero_ps();
      bias_acc[m] = 0.0f;
    }
    for (int g = 0; g < groups; ++g) {
      __m512 d0[ROWS], d1[ROWS];
      for (int m = 0; m < ROWS; ++m) d0[m] = d1[m] = _mm512_setzero_ps();
      for (int k = g * G; k < (g + 1) * G; k += 32) {
        __m512 f[2];
        unpack32<BITS>(row + (k / 32) * BLOCK_BYTES, f);
        for (int m = 0; m < ROWS; ++m) {
          const float* xp = a.x + static_cast<size_t>(m) * K + k;
          d0[m] = _mm512_fmadd_ps(f[0], _mm512_loadu_ps(xp), d0[m]);
          d1[m] = _mm512_fmadd_ps(f[1], _mm512_loadu_ps(xp + 16), d1[m]);
        }
      }
      const __m512 s = _mm512_set1_ps(load1(p.scales, p.s_dtype, sb + g));
      const float b = load1(p.biases, p.s_dtype, sb + g);
      for (int m = 0; m < ROWS; ++m) {
        acc[m] = _mm512_fmadd_ps(s, _mm512_add_ps(d0[m], d1[m]), acc[m]);
        bias_acc[m] += b * a.xsum[static_cast<size_t>(m) * groups + g];
      }
    }
    for (int m = 0; m < ROWS; ++m) a.res[static_cast<size_t>(m) * p.N + n] = _mm512_reduce_add_ps(acc[m]) + bias_acc[m];
  }
}

template <int BITS>
VMLX_AVX512 void gemv_bits(const GemvArgs& a, int n0, int n1) {
  switch (a.rows) {
    case 1: return gemv_rows<BITS, 1>(a, n0, n1);
    case 2: return gemv_rows<BITS, 2>(a, n0, n1);
    case 3: return gemv_rows<BITS, 3>(a, n0, n1);
    default: return gemv_rows<BITS, 4>(a, n0, n1);
  }
}

VMLX_AVX512 void gemv(const GemvArgs& a, int n0, int n1) {
  if (a.p->bits == 4) return gemv_bits<4>(a, n0, n1);
  return gemv_bits<8>(a, n0, n1);
}

// The 6 x 32 tile, two registers a row: a k step loads two vectors of b and broadcasts six values of a for 12
// independent FMAs (a 6 x 16 tile would spend more loads than FMAs).
VMLX_AVX512 void micro(const float* a, const float* b, int K, float* c) {
  static_assert(MR == 6 && NR_WIDE == 32, "the AVX-512 micro-kernel is written for a 6 x 32 tile");
  __m512 c00 = _mm512_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
  __m512 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  for (int k = 0; k < K; ++k, a += MR, b += NR_WIDE) {
    const __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
    __m512 x = _mm512_set1_ps(a[0]);
    c00 = _mm512_fmadd_ps(x, b0, c00);
    c01 = _mm512_fmadd_ps(x, b1, c01);
    x = _mm512_set1_ps(a[1]);
    c10 = _mm512_fmadd_ps(x, b0, c10);
    c11 = _mm512_fmadd_ps(x, b1, c11);
    x = _mm512_set1_ps(a[2]);
    c20 = _mm512_fmadd_ps(x, b0, c20);
    c21 = _mm512_fmadd_ps(x, b1, c21);
    x = _mm512_set1_ps(a[3]);
    c30 = _mm512_fmadd_ps(x, b0, c30);
    c31 = _mm512_fmadd_ps(x, b1, c31);
    x = _mm512_set1_ps(a[4]);
    c40 = _mm512_fmadd_ps(x, b0, c40);
    c41 = _mm512_fmadd_ps(x, b1, c41);
    x = _mm512_set1_ps(a[5]);
    c50 = _mm512_fmadd_ps(x, b0, c50);
    c51 = _mm512_fmadd_ps(x, b1, c51);
  }
  const __m512 rows[MR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
  for (int r = 0; r < MR; ++r) {
    _mm512_storeu_ps(c + r * NR_WIDE, rows[r][0]);
    _mm512_storeu_ps(c + r * NR_WIDE + 16, rows[r][1]);
  }
}

}  // namespace

const Kernels* avx512_kernels() {
  static const Kernels* k = [] {
    const Kernels* base = avx2_kernels();
    static Kernels own{};
    if (base == nullptr) return static_cast<const Kernels*>(nullptr);
    own = Kernels{gemv, base->dequant_row, micro, base->to_float, base->from_float, NR_WIDE};
    return static_cast<const Kernels*>(&own);
  }();
  return k;
}

}  // namespace vmlx::qmm_cpu

#else

namespace vmlx::qmm_cpu {
const Kernels* avx512_kernels() { return nullptr; }
}  // namespace vmlx::qmm_cpu

#endif
