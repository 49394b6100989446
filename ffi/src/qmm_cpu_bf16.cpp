// AVX512-BF16 GEMV of the CPU quantized matmul, 4- and 8-bit. A decode's products are bound by the instructions
// that turn each field into float32 (about 19 for 32 4-bit fields in the AVX2 kernel), not by memory. Here a 4-bit
// field becomes a bfloat16 by two byte lookups (vpshufb: the integers 0..15 are exact in bfloat16), and vdpbf16ps
// multiplies 16 pairs of them at once. An 8-bit field q is its two nibbles, q = 16 qh + ql, each looked up the same
// way.
//
// 256-bit vectors only (AVX512-VL): the same kernel on 512-bit vectors measured faster alone but made a decode of
// the default model slower on a 2-core Sapphire Rapids VM (27-29 against 24.5-26 ms a token with the AVX2 GEMV).
// On 256-bit vectors it runs the default model's products 1.03-1.1x the AVX2 GEMV alone, and its 8-bit LM head from
// memory 1.7x (bench/cpu-qmm/kernel_bench.cpp), yet a decode measured 14.8-16.7 against 14.2-14.6 ms a token with
// the AVX2 GEMV (three alternations, session 13): so it runs only where named (ISA avx512bf16), and `auto` and
// `amx` keep the AVX2 GEMV.
//
// x is split into two bfloat16 terms, x = hi + lo + r with |r| <= 2^-18 |x|, so each product q * x carries at most
// that relative error (q is exact); vdpbf16ps accumulates in float32 like an FMA chain. The result stays within the
// kernel's float32 bound (1e-5 of the sum of |x_k w_k|).
#include "qmm_cpu.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
// GCC 12 warns of an uninitialized variable inside its own AVX-512 intrinsics (a false positive).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <cstring>
#include <vector>

#define VMLX_BF16 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512bf16,avx2,fma,f16c")))

namespace vmlx::qmm_cpu {
namespace {

// Fields in a block (16 bytes of a 4-bit row, 32 of an 8-bit one): within one group, as groups are 32 to 128.
constexpr int BLOCK = 32;
// bfloat16 words of x a block takes: two vectors of 16 words for each of two terms.
constexpr int X_WORDS = 64;
// Rows ahead whose weights a row asks for (as in the AVX2 GEMV: a decode's rows are too short for the hardware
// prefetcher).
constexpr int PREFETCH_ROWS = 4;

// The low and high bytes of the bfloat16 patterns of 0..15, in each 128-bit lane (vpshufb looks up within lanes).
struct Luts {
  alignas(32) uint8_t lo[32];
  alignas(32) uint8_t hi[32];
};

const Luts& luts() {
  static const Luts t = [] {
    Luts l{};
    for (int i = 0; i < 32; ++i) {
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

// Nibbles (one a byte) as bfloat16 words: w0 holds bytes 0-7 and 16-23, w1 bytes 8-15 and 24-31 (the byte unpacks
// interleave within 128-bit lanes).
VMLX_BF16 inline void words(__m256i nibbles, __m256i lut_lo, __m256i lut_hi, __m256i& w0, __m256i& w1) {
  const __m256i lb = _mm256_shuffle_epi8(lut_lo, nibbles), hb = _mm256_shuffle_epi8(lut_hi, nibbles);
  w0 = _mm256_unpacklo_epi8(lb, hb);
  w1 = _mm256_unpackhi_epi8(lb, hb);
}

// A block's fields as bfloat16 vectors. 4-bit (16 bytes): the nibble bytes are the low nibbles (fields 0, 2, .., 30)
// then the high ones (1, 3, .., 31), so w[0] holds fields [0, 2, .., 14 | 1, 3, .., 15] and w[1] fields
// [16, 18, .., 30 | 17, .., 31]. 8-bit (32 bytes): w[0], w[1] the low nibbles of fields [0-7 | 16-23] and
// [8-15 | 24-31], w[2], w[3] the high nibbles of the same fields.
template <int BITS>
VMLX_BF16 inline void unpack(const uint8_t* src, __m256i lut_lo, __m256i lut_hi, __m256i w[4]) {
  if constexpr (BITS == 4) {
    const __m128i nibble = _mm_set1_epi8(0x0F), v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src));
    const __m128i lo = _mm_and_si128(v, nibble), hi = _mm_and_si128(_mm_srli_epi16(v, 4), nibble);
    words(_mm256_set_m128i(hi, lo), lut_lo, lut_hi, w[0], w[1]);
  } else {
    const __m256i nibble = _mm256_set1_epi8(0x0F), v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src));
    words(_mm256_and_si256(v, nibble), lut_lo, lut_hi, w[0], w[1]);
    words(_mm256_and_si256(_mm256_srli_epi16(v, 4), nibble), lut_lo, lut_hi, w[2], w[3]);
  }
}

VMLX_BF16 inline __m256 bf16_to_float(__m128i h) {
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}

// 16 float32 (a: words 0-7, b: words 8-15) as hi and lo bfloat16 terms, stored at hi and lo.
VMLX_BF16 inline void split(__m256 a, __m256 b, uint16_t* hi, uint16_t* lo) {
  const __m128i ha = reinterpret_cast<__m128i>(_mm256_cvtneps_pbh(a));
  const __m128i hb = reinterpret_cast<__m128i>(_mm256_cvtneps_pbh(b));
  const __m256 ra = _mm256_sub_ps(a, bf16_to_float(ha)), rb = _mm256_sub_ps(b, bf16_to_float(hb));
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(hi), _mm256_set_m128i(hb, ha));
  // the second operand fills the low words
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(lo), reinterpret_cast<__m256i>(_mm256_cvtne2ps_pbh(rb, ra)));
}

// One row of x as the blocks' terms, in the word order of unpack()'s first two vectors: per block [hi w0, hi w1,
// lo w0, lo w1], 16 words each (an 8-bit block's high nibbles take the same words).
template <int BITS>
VMLX_BF16 void prepare_row(const float* x, int K, uint16_t* dst) {
  const __m256i even = _mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14), odd = _mm256_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15);
  for (int k0 = 0; k0 < K; k0 += BLOCK, dst += X_WORDS) {
    const __m256 f0 = _mm256_loadu_ps(x + k0), f8 = _mm256_loadu_ps(x + k0 + 8);
    const __m256 f16 = _mm256_loadu_ps(x + k0 + 16), f24 = _mm256_loadu_ps(x + k0 + 24);
    if constexpr (BITS == 4) {
      split(_mm256_permutex2var_ps(f0, even, f8), _mm256_permutex2var_ps(f0, odd, f8), dst, dst + 32);
      split(_mm256_permutex2var_ps(f16, even, f24), _mm256_permutex2var_ps(f16, odd, f24), dst + 16, dst + 48);
    } else {
      split(f0, f16, dst, dst + 32);
      split(f8, f24, dst + 16, dst + 48);
    }
  }
}

// acc + the pairwise products of 16 bfloat16 words and 16 words at x.
VMLX_BF16 inline __m256 dot(__m256 acc, __m256i w, const uint16_t* x) {
  const __m256i xv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x));
  return _mm256_dpbf16_ps(acc, reinterpret_cast<__m256bh>(w), reinterpret_cast<__m256bh>(xv));
}

// 8 values of a dtype as float32; lanes past `count` are zero.
VMLX_BF16 inline __m256 load8(const void* src, Dtype dt, size_t i, int count) {
  const __mmask8 m = count >= 8 ? 0xFF : static_cast<__mmask8>((1u << count) - 1);
  switch (dt) {
    case Dtype::f32: return _mm256_maskz_loadu_ps(m, static_cast<const float*>(src) + i);
    case Dtype::f16: return _mm256_cvtph_ps(_mm_maskz_loadu_epi16(m, static_cast<const uint16_t*>(src) + i));
    case Dtype::bf16: return bf16_to_float(_mm_maskz_loadu_epi16(m, static_cast<const uint16_t*>(src) + i));
  }
  return _mm256_setzero_ps();
}

VMLX_BF16 inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

VMLX_BF16 inline void prefetch(const void* p, size_t bytes) {
  for (size_t off = 0; off < bytes; off += 64) _mm_prefetch(static_cast<const char*>(p) + off, _MM_HINT_T0);
}

// Per group, per block: d = q . x (four vdpbf16ps: two vectors by two terms; 8-bit: d = 16 d_hi + d_lo), then
// acc += d * s. Per row, acc also takes the biases times the groups' sums of x.
template <int BITS, int ROWS>
VMLX_BF16 void gemv_rows(const GemvArgs& a, int n0, int n1) {
  const Problem& p = *a.p;
  const int K = p.K, G = p.group, groups = K / G, blocks = K / BLOCK;
  const size_t row_bytes = static_cast<size_t>(K) * BITS / 8, es = p.s_dtype == Dtype::f32 ? 4 : 2;
  constexpr int BLOCK_BYTES = BLOCK * BITS / 8;
  thread_local std::vector<uint16_t> xbuf;  // [ROWS][blocks][X_WORDS]
  thread_local std::vector<float> sbuf;
  const size_t row_words = static_cast<size_t>(blocks) * X_WORDS;
  if (xbuf.size() < ROWS * row_words) xbuf.resize(ROWS * row_words);
  if (sbuf.size() < static_cast<size_t>(groups) + 8) sbuf.resize(groups + 8);  // whole vectors of 8
  for (int m = 0; m < ROWS; ++m) prepare_row<BITS>(a.x + static_cast<size_t>(m) * K, K, xbuf.data() + m * row_words);
  float* scale = sbuf.data();
  const __m256i lut_lo = _mm256_load_si256(reinterpret_cast<const __m256i*>(luts().lo));
  const __m256i lut_hi = _mm256_load_si256(reinterpret_cast<const __m256i*>(luts().hi));
  for (int n = n0; n < n1; ++n) {
    const uint8_t* row = reinterpret_cast<const uint8_t*>(p.w) + n * row_bytes;
    const size_t sb = static_cast<size_t>(n) * groups;
    if (n + PREFETCH_ROWS < n1) {
      prefetch(row + PREFETCH_ROWS * row_bytes, row_bytes);
      prefetch(static_cast<const char*>(p.scales) + (sb + PREFETCH_ROWS * groups) * es, groups * es);
      prefetch(static_cast<const char*>(p.biases) + (sb + PREFETCH_ROWS * groups) * es, groups * es);
    }
    for (int g = 0; g < groups; g += 8) _mm256_storeu_ps(scale + g, load8(p.scales, p.s_dtype, sb + g, groups - g));
    __m256 acc[ROWS];
    for (int m = 0; m < ROWS; ++m) acc[m] = _mm256_setzero_ps();
    for (int g = 0, b = 0; g < groups; ++g) {
      const __m256 s = _mm256_set1_ps(scale[g]);
      for (int end = b + G / BLOCK; b < end; ++b) {
        __m256i w[4];
        unpack<BITS>(row + static_cast<size_t>(b) * BLOCK_BYTES, lut_lo, lut_hi, w);
        for (int m = 0; m < ROWS; ++m) {
          const uint16_t* xt = xbuf.data() + m * row_words + static_cast<size_t>(b) * X_WORDS;
          __m256 d = dot(dot(dot(dot(_mm256_setzero_ps(), w[0], xt), w[1], xt + 16), w[0], xt + 32), w[1], xt + 48);
          if constexpr (BITS == 8) {
            const __m256 dh =
                dot(dot(dot(dot(_mm256_setzero_ps(), w[2], xt), w[3], xt + 16), w[2], xt + 32), w[3], xt + 48);
            d = _mm256_fmadd_ps(dh, _mm256_set1_ps(16.0f), d);
          }
          acc[m] = _mm256_fmadd_ps(d, s, acc[m]);
        }
      }
    }
    for (int g = 0; g < groups; g += 8) {
      const __m256 bias = load8(p.biases, p.s_dtype, sb + g, groups - g);
      for (int m = 0; m < ROWS; ++m) {
        const float* xs = a.xsum + static_cast<size_t>(m) * groups + g;
        acc[m] = _mm256_fmadd_ps(bias, load8(xs, Dtype::f32, 0, groups - g), acc[m]);
      }
    }
    for (int m = 0; m < ROWS; ++m) a.res[static_cast<size_t>(m) * p.N + n] = hsum(acc[m]);
  }
}

template <int BITS>
VMLX_BF16 void gemv_bits(const GemvArgs& a, int n0, int n1) {
  switch (a.rows) {
    case 1: return gemv_rows<BITS, 1>(a, n0, n1);
    case 2: return gemv_rows<BITS, 2>(a, n0, n1);
    case 3: return gemv_rows<BITS, 3>(a, n0, n1);
    default: return gemv_rows<BITS, 4>(a, n0, n1);
  }
}

VMLX_BF16 void gemv(const GemvArgs& a, int n0, int n1) {
  if (a.p->bits == 4) return gemv_bits<4>(a, n0, n1);
  return gemv_bits<8>(a, n0, n1);
}

}  // namespace

const Kernels* avx512bf16_kernels() {
  const Kernels* base = avx512_kernels();
  if (base == nullptr) return nullptr;
  static const Kernels k{gemv, base->dequant_row, base->micro, base->to_float, base->from_float, base->nr};
  return &k;
}

}  // namespace vmlx::qmm_cpu

#else

namespace vmlx::qmm_cpu {
const Kernels* avx512bf16_kernels() { return nullptr; }
}  // namespace vmlx::qmm_cpu

#endif
