// AVX-512 (F, BW, VL) GEMM micro-kernel of the CPU quantized matmul: a prefill's 6 x 32 tile at twice the AVX2
// kernel's width. The rest stays the AVX2 kernels' (qmm_cpu_avx2.cpp), which this ISA implies: an AVX-512 GEMV
// measured slower than the AVX2 one in a decode of the default model on a 2-core Sapphire Rapids VM (31.3 against
// 32.5 tok/s, three alternating runs), where prefill gained 5% from this tile (418 against 397 tok/s). Compiled
// with target attributes like the AVX2 file, so the library keeps the baseline instruction set; the driver calls
// this only after checking the CPU at run time.
#include "qmm_cpu.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#define VMLX_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx2,fma,f16c")))

namespace vmlx::qmm_cpu {
namespace {

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
  const Kernels* base = avx2_kernels();
  if (base == nullptr) return nullptr;
  static const Kernels k{base->gemv, base->dequant_row, micro, base->to_float, base->from_float, NR_WIDE};
  return &k;
}

}  // namespace vmlx::qmm_cpu

#else

namespace vmlx::qmm_cpu {
const Kernels* avx512_kernels() { return nullptr; }
}  // namespace vmlx::qmm_cpu

#endif
