// AVX512-BF16 GEMV of the CPU quantized matmul (4-bit weights; 8-bit rows go to the AVX2 GEMV). A decode's products
// are bound by the instructions that turn each 4-bit field into float32 (about 19 for 32 fields in the AVX2
// kernel), not by memory. Here a field becomes a bfloat16 by two byte lookups (vpshufb: the integers 0..15 are
// exact in bfloat16), and vdpbf16ps multiplies 32 of them at once.
//
// x is split into two bfloat16 terms, x = hi + lo + r with |r| <= 2^-18 |x|, so each product q * x carries at most
// that relative error (q is exact); vdpbf16ps accumulates in float32 like an FMA chain. The result stays within the
// kernel's float32 bound (1e-5 of the sum of |x_k w_k|).
#include "qmm_cpu.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
// GCC 12 warns of an uninitialized variable inside its own AVX-512 intrinsics (a false positive).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <vector>

#define VMLX_BF16 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512bf16,avx2,fma,f16c")))

namespace vmlx::qmm_cpu {
namespace {

// Fields in a block: 32 bytes of a 4-bit row.
constexpr int BLOCK = 64;
// Rows ahead whose weights a row asks for (as in the AVX2 GEMV: a decode's rows are too short for the hardware
// prefetcher).
constexpr int PREFETCH_ROWS = 4;

// The low and high bytes of the bfloat16 patterns of 0..15, in each 128-bit lane (vpshufb looks up within lanes).
struct Luts {
  alignas(64) uint8_t lo[64];
  alignas(64) uint8_t hi[64];
};

const Luts& luts() {
  static const Luts t = [] {
    Luts l{};
    for (int i = 0; i < 64; ++i) {
      float f = static_cast<float>(i % 16);
      uint32_t u;
      std::memcpy(&u, &f, sizeof u);
      l.lo[i] = static_cast<uint8_t>(u >> 16);
      l.hi[i] = static_cast<uint8_t>(u >> 24);
    }
    return l;
  }();
  return t;
}

// A block's 64 fields as two vectors of 32 bfloat16. idx holds the low nibbles (fields 0, 2, .., 62) then the high
// ones (1, 3, .., 63); the byte unpacks interleave within 128-bit lanes, so word w of w0 (w1) is field
// 2 b or 2 (b - 32) + 1 for idx byte b = 16 (w / 8) + w % 8 (+ 8 for w1). Fields below 32 land in float32 lanes
// 0-3 and 8-11 of a vdpbf16ps result, fields 32-63 in lanes 4-7 and 12-15.
VMLX_BF16 inline void unpack(__m256i v, __m512i lut_lo, __m512i lut_hi, __m512i& w0, __m512i& w1) {
  const __m256i nibble = _mm256_set1_epi8(0x0F);
  __m256i lo = _mm256_and_si256(v, nibble), hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), nibble);
  __m512i idx = _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
  __m512i lb = _mm512_shuffle_epi8(lut_lo, idx), hb = _mm512_shuffle_epi8(lut_hi, idx);
  w0 = _mm512_unpacklo_epi8(lb, hb);
  w1 = _mm512_unpackhi_epi8(lb, hb);
}

VMLX_BF16 inline __m512 bf16_to_float(__m256i h) {
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

// 32 float32 (a: words 0-15, b: words 16-31) as hi and lo bfloat16 terms.
VMLX_BF16 inline void split(__m512 a, __m512 b, __m512i& hi, __m512i& lo) {
  __m256i ha = reinterpret_cast<__m256i>(_mm512_cvtneps_pbh(a));
  __m256i hb = reinterpret_cast<__m256i>(_mm512_cvtneps_pbh(b));
  __m512 ra = _mm512_sub_ps(a, bf16_to_float(ha)), rb = _mm512_sub_ps(b, bf16_to_float(hb));
  hi = _mm512_inserti64x4(_mm512_castsi256_si512(ha), hb, 1);
  lo = reinterpret_cast<__m512i>(_mm512_cvtne2ps_pbh(rb, ra));  // the second operand fills the low words
}

// One row of x as the blocks' terms, in unpack()'s word order: per block [hi w0, hi w1, lo w0, lo w1], 32 words
// each. Fields past K are zeros.
VMLX_BF16 void prepare_row(const float* x, int K, uint16_t* dst) {
  // Even, then odd, fields of two source vectors (indices from 16 pick the second): float32 lanes of words 0-15
  // and 16-31 of w0 (sources fields 0-15 and 32-47) or of w1 (16-31 and 48-63).
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
  for (int k0 = 0; k0 < K; k0 += BLOCK, dst += 4 * 32) {
    __m512 z[4];
    for (int i = 0; i < 4; ++i) {
      int k = k0 + 16 * i;
      z[i] = k < K ? _mm512_loadu_ps(x + k) : _mm512_setzero_ps();
    }
    for (int v = 0; v < 2; ++v) {
      __m512 a = _mm512_permutex2var_ps(z[v], even, z[v + 2]), b = _mm512_permutex2var_ps(z[v], odd, z[v + 2]);
      __m512i hi, lo;
      split(a, b, hi, lo);
      _mm512_storeu_si512(dst + 32 * v, hi);
      _mm512_storeu_si512(dst + 32 * (2 + v), lo);
    }
  }
}

// 16 values of a dtype as float32; lanes past `count` are zero.
VMLX_BF16 inline __m512 load16(const void* src, Dtype dt, size_t i, int count) {
  const __mmask16 m = count >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << count) - 1);
  switch (dt) {
    case Dtype::f32: return _mm512_maskz_loadu_ps(m, static_cast<const float*>(src) + i);
    case Dtype::f16: return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, static_cast<const uint16_t*>(src) + i));
    case Dtype::bf16: return bf16_to_float(_mm256_maskz_loadu_epi16(m, static_cast<const uint16_t*>(src) + i));
  }
  return _mm512_setzero_ps();
}

// acc + the pairwise products of 32 bfloat16 words and 32 words at x.
VMLX_BF16 inline __m512 dot(__m512 acc, __m512i w, const uint16_t* x) {
  return _mm512_dpbf16_ps(acc, reinterpret_cast<__m512bh>(w), reinterpret_cast<__m512bh>(_mm512_loadu_si512(x)));
}

VMLX_BF16 inline void prefetch(const void* p, size_t bytes) {
  for (size_t off = 0; off < bytes; off += 64) _mm_prefetch(static_cast<const char*>(p) + off, _MM_HINT_T0);
}

// Per block: d = q . x (four vdpbf16ps: two halves by two terms), acc += d * s, where s holds the scale of the
// block's first 32 fields in lanes 0-3 and 8-11 and of the next 32 in lanes 4-7 and 12-15. Per row, acc also takes
// the biases times the groups' sums of x.
template <int ROWS>
VMLX_BF16 void gemv_rows(const GemvArgs& a, int n0, int n1) {
  const Problem& p = *a.p;
  const int K = p.K, G = p.group, groups = K / G, blocks = (K + BLOCK - 1) / BLOCK;
  const size_t row_bytes = static_cast<size_t>(K) / 2, es = p.s_dtype == Dtype::f32 ? 4 : 2;
  thread_local std::vector<uint16_t> xbuf;  // [ROWS][blocks][4 x 32 words]
  thread_local std::vector<float> sbuf;
  const size_t row_words = static_cast<size_t>(blocks) * 4 * 32;
  if (xbuf.size() < ROWS * row_words) xbuf.resize(ROWS * row_words);
  if (sbuf.size() < static_cast<size_t>(groups) + 16) sbuf.resize(groups + 16);  // whole vectors of 16
  for (int m = 0; m < ROWS; ++m) prepare_row(a.x + static_cast<size_t>(m) * K, K, xbuf.data() + m * row_words);
  float* scale = sbuf.data();
  const __m512i lut_lo = _mm512_load_si512(luts().lo), lut_hi = _mm512_load_si512(luts().hi);
  for (int n = n0; n < n1; ++n) {
    const uint8_t* row = reinterpret_cast<const uint8_t*>(p.w) + n * row_bytes;
    const size_t sb = static_cast<size_t>(n) * groups;
    if (n + PREFETCH_ROWS < n1) {
      prefetch(row + PREFETCH_ROWS * row_bytes, row_bytes);
      prefetch(static_cast<const char*>(p.scales) + (sb + PREFETCH_ROWS * groups) * es, groups * es);
      prefetch(static_cast<const char*>(p.biases) + (sb + PREFETCH_ROWS * groups) * es, groups * es);
    }
    for (int g = 0; g < groups; g += 16) _mm512_storeu_ps(scale + g, load16(p.scales, p.s_dtype, sb + g, groups - g));
    __m512 acc[ROWS];
    for (int m = 0; m < ROWS; ++m) acc[m] = _mm512_setzero_ps();
    for (int b = 0; b < blocks; ++b) {
      const int k0 = b * BLOCK;
      const bool whole = k0 + BLOCK <= K;
      const uint8_t* src = row + k0 / 2;
      __m256i v = whole ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src)) : _mm256_maskz_loadu_epi8(0xFFFF, src);
      __m512i w0, w1;
      unpack(v, lut_lo, lut_hi, w0, w1);
      const __m512 s = _mm512_mask_blend_ps(0xF0F0, _mm512_set1_ps(scale[k0 / G]),
                                            _mm512_set1_ps(scale[std::min(k0 + 32, K - 1) / G]));
      for (int m = 0; m < ROWS; ++m) {
        const uint16_t* xt = xbuf.data() + m * row_words + static_cast<size_t>(b) * 4 * 32;
        __m512 d = dot(_mm512_setzero_ps(), w0, xt);
        d = dot(d, w1, xt + 32);
        d = dot(d, w0, xt + 64);
        d = dot(d, w1, xt + 96);
        acc[m] = _mm512_fmadd_ps(d, s, acc[m]);
      }
    }
    for (int g = 0; g < groups; g += 16) {
      const __m512 bias = load16(p.biases, p.s_dtype, sb + g, groups - g);
      for (int m = 0; m < ROWS; ++m) {
        const float* xs = a.xsum + static_cast<size_t>(m) * groups + g;
        acc[m] = _mm512_fmadd_ps(bias, load16(xs, Dtype::f32, 0, groups - g), acc[m]);
      }
    }
    for (int m = 0; m < ROWS; ++m) a.res[static_cast<size_t>(m) * p.N + n] = _mm512_reduce_add_ps(acc[m]);
  }
}

const Kernels* g_base = nullptr;

VMLX_BF16 void gemv(const GemvArgs& a, int n0, int n1) {
  if (a.p->bits != 4) return g_base->gemv(a, n0, n1);
  switch (a.rows) {
    case 1: return gemv_rows<1>(a, n0, n1);
    case 2: return gemv_rows<2>(a, n0, n1);
    case 3: return gemv_rows<3>(a, n0, n1);
    default: return gemv_rows<4>(a, n0, n1);
  }
}

}  // namespace

const Kernels* avx512bf16_kernels() {
  const Kernels* base = avx512_kernels();
  if (base == nullptr) return nullptr;
  g_base = base;
  static const Kernels k{gemv, base->dequant_row, base->micro, base->to_float, base->from_float, base->nr};
  return &k;
}

}  // namespace vmlx::qmm_cpu

#else

namespace vmlx::qmm_cpu {
const Kernels* avx512bf16_kernels() { return nullptr; }
}  // namespace vmlx::qmm_cpu

#endif
