// AMX GEMM of the CPU quantized matmul (a prefill's products); decode keeps the AVX2 GEMV. The AVX-512 micro-kernel
// runs at the float32 FMA ceiling, 32 multiply-adds a cycle a core;
// an AMX tile product (tdpbf16ps) does 16 x 16 x 32 bfloat16 multiply-adds into float32.
//
// Float32 from bfloat16 products ("bf16x3"): x and the dequantized W are each split into two bfloat16 terms
// (v = hi + lo + r, |r| <= 2^-18 |v|), and out = W_hi x_hi + W_hi x_lo + W_lo x_hi, summed in float32. Each product
// is off by at most about 3 * 2^-18 of |x_k w_k| (the dropped W_lo x_lo among it), which the kernel's bound of
// 1e-5 of the sum of |x_k w_k| covers.
//
// The tiles hold out^T = W x^T: W's rows are the A operand as they lie (16 rows n, 32 values of k), and x is
// packed once per call as the B operand (pairs of k for 16 rows m). Each task dequantizes and splits its columns
// of W once, then walks every 32 rows of x with 2 x 2 result tiles.
#include "qmm_cpu.h"

#if defined(__x86_64__) && defined(__linux__) && (defined(__GNUC__) || defined(__clang__))
// GCC 12 warns of an uninitialized variable inside its own AVX-512 intrinsics (a false positive).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "thread_pool.h"

#define VMLX_AMX \
  __attribute__((target("amx-tile,amx-bf16,avx512f,avx512bw,avx512vl,avx512dq,avx512bf16,avx2,fma,f16c")))

namespace vmlx::qmm_cpu {
namespace {

constexpr int TILE = 16;          // rows of an operand tile; a result tile is 16 x 16 float32
constexpr int KT = 32;            // values of k in one tile product
constexpr size_t TILE_WORDS = TILE * KT;  // bfloat16 words in an operand tile (1 KB)
constexpr int NC_MAX = 128;       // columns of W per task at most (a multiple of 32)

const Kernels* g_base = nullptr;

struct TileConfig {
  uint8_t palette = 1;
  uint8_t start_row = 0;
  uint8_t reserved[14] = {};
  uint16_t colsb[16] = {};
  uint8_t rows[16] = {};
};

// Tiles 0-3: results; 4-5: W; 6-7: x. All 16 rows of 64 bytes.
VMLX_AMX void configure() {
  alignas(64) TileConfig c;
  for (int t = 0; t < 8; ++t) {
    c.colsb[t] = 64;
    c.rows[t] = TILE;
  }
  _tile_loadconfig(&c);
}

constexpr int TILE_STRIDE = 64;  // bytes between a tile's rows in memory

// W's two A tiles (output rows n, n + 16) and x's two B tiles (rows m, m + 16) of one step of K.
VMLX_AMX inline void load_w(const uint16_t* a, const uint16_t* b) {
  _tile_loadd(4, a, TILE_STRIDE);
  _tile_loadd(5, b, TILE_STRIDE);
}

VMLX_AMX inline void load_x(const uint16_t* c, const uint16_t* d) {
  _tile_loadd(6, c, TILE_STRIDE);
  _tile_loadd(7, d, TILE_STRIDE);
}

// The 2 x 2 result tiles += the loaded W tiles times the loaded x tiles.
VMLX_AMX inline void products() {
  _tile_dpbf16ps(0, 4, 6);
  _tile_dpbf16ps(1, 4, 7);
  _tile_dpbf16ps(2, 5, 6);
  _tile_dpbf16ps(3, 5, 7);
}

VMLX_AMX inline __m512 bf16_to_float(__m256i h) {
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

// 32 float32 values in order as 32 bfloat16 hi terms and 32 lo terms.
VMLX_AMX inline void split32(const float* v, uint16_t* hi, uint16_t* lo) {
  const __m512 a = _mm512_loadu_ps(v), b = _mm512_loadu_ps(v + 16);
  __m256i ha = reinterpret_cast<__m256i>(_mm512_cvtneps_pbh(a));
  __m256i hb = reinterpret_cast<__m256i>(_mm512_cvtneps_pbh(b));
  __m512 ra = _mm512_sub_ps(a, bf16_to_float(ha)), rb = _mm512_sub_ps(b, bf16_to_float(hb));
  _mm512_storeu_si512(hi, _mm512_inserti64x4(_mm512_castsi256_si512(ha), hb, 1));
  _mm512_storeu_si512(lo, reinterpret_cast<__m512i>(_mm512_cvtne2ps_pbh(rb, ra)));
}

struct Job {
  const Problem* p;
  int kt;            // K / KT
  int m_tiles;       // rows of x in tiles of 16, padded to an even count
  uint16_t* xpack;   // [m_tiles][kt][2 terms] B tiles: dword (r, i) = x[m0 + i][k0 + 2r .. 2r + 1]
  int nc;            // columns per task, a multiple of 32
};

size_t dtype_size(Dtype dt) { return dt == Dtype::f32 ? 4 : 2; }

// Packs the B tiles of x's m-tile `mt`.
VMLX_AMX void pack_x(void* ctx, int mt) {
  auto& job = *static_cast<Job*>(ctx);
  const Problem& p = *job.p;
  thread_local std::vector<float> rowbuf;
  thread_local std::vector<uint16_t> hibuf, lobuf;
  if (rowbuf.size() < static_cast<size_t>(p.K)) {
    rowbuf.resize(p.K);
    hibuf.resize(p.K);
    lobuf.resize(p.K);
  }
  uint32_t* base = reinterpret_cast<uint32_t*>(job.xpack + static_cast<size_t>(mt) * job.kt * 2 * TILE_WORDS);
  for (int i = 0; i < TILE; ++i) {
    const int m = mt * TILE + i;
    if (m < p.M) {
      g_base->to_float(static_cast<const char*>(p.x) + static_cast<size_t>(m) * p.K * dtype_size(p.x_dtype),
                       p.x_dtype, rowbuf.data(), p.K);
      for (int k = 0; k < p.K; k += KT) split32(rowbuf.data() + k, hibuf.data() + k, lobuf.data() + k);
    } else {
      std::fill(hibuf.begin(), hibuf.end(), 0);
      std::fill(lobuf.begin(), lobuf.end(), 0);
    }
    const uint32_t* hi = reinterpret_cast<const uint32_t*>(hibuf.data());
    const uint32_t* lo = reinterpret_cast<const uint32_t*>(lobuf.data());
    for (int t = 0; t < job.kt; ++t) {
      uint32_t* tile_hi = base + static_cast<size_t>(t) * 2 * TILE_WORDS / 2;
      uint32_t* tile_lo = tile_hi + TILE_WORDS / 2;
      for (int r = 0; r < TILE; ++r) {
        tile_hi[r * TILE + i] = hi[t * TILE + r];
        tile_lo[r * TILE + i] = lo[t * TILE + r];
      }
    }
  }
}

// Stores result tile `t` (16 n x 16 m) into out at rows m0.., columns n0...
VMLX_AMX void store(const Problem& p, const float* tile, int m0, int n0) {
  const int rows = std::min(TILE, p.M - m0), cols = std::min(TILE, p.N - n0);
  alignas(64) float line[TILE];
  const size_t es = dtype_size(p.out_dtype);
  for (int i = 0; i < rows; ++i) {
    for (int j = 0; j < cols; ++j) line[j] = tile[j * TILE + i];
    g_base->from_float(line, p.out_dtype, static_cast<char*>(p.out) + (static_cast<size_t>(m0 + i) * p.N + n0) * es,
                       cols);
  }
}

VMLX_AMX void gemm_task(void* ctx, int task) {
  auto& job = *static_cast<Job*>(ctx);
  const Problem& p = *job.p;
  const int K = p.K, kt = job.kt;
  const int n_begin = task * job.nc, n_tiles = (std::min(p.N - n_begin, job.nc) + 31) / 32 * 2;
  // W's A tiles for this task's columns: [n_tiles][kt][2 terms], rows past N zero.
  thread_local std::vector<uint16_t> wbuf;
  thread_local std::vector<float> rowbuf;
  const size_t wwords = static_cast<size_t>(n_tiles) * kt * 2 * TILE_WORDS;
  if (wbuf.size() < wwords) wbuf.resize(wwords);
  if (rowbuf.size() < static_cast<size_t>(K)) rowbuf.resize(K);
  uint16_t* wpack = wbuf.data();
  for (int j = 0; j < n_tiles * TILE; ++j) {
    const int n = n_begin + j;
    uint16_t* dst = wpack + static_cast<size_t>(j / TILE) * kt * 2 * TILE_WORDS + (j % TILE) * KT;
    if (n < p.N) {
      g_base->dequant_row(p, n, rowbuf.data());
      for (int t = 0; t < kt; ++t) {
        uint16_t* hi = dst + static_cast<size_t>(t) * 2 * TILE_WORDS;
        split32(rowbuf.data() + t * KT, hi, hi + TILE_WORDS);
      }
    } else {
      for (int t = 0; t < kt; ++t) {
        uint16_t* hi = dst + static_cast<size_t>(t) * 2 * TILE_WORDS;
        std::memset(hi, 0, KT * sizeof(uint16_t));
        std::memset(hi + TILE_WORDS, 0, KT * sizeof(uint16_t));
      }
    }
  }
  configure();
  alignas(64) float tiles[4][TILE * TILE];
  for (int nt = 0; nt < n_tiles; nt += 2) {
    const uint16_t* wa = wpack + static_cast<size_t>(nt) * kt * 2 * TILE_WORDS;
    const uint16_t* wb = wa + static_cast<size_t>(kt) * 2 * TILE_WORDS;
    for (int mt = 0; mt < job.m_tiles; mt += 2) {
      const uint16_t* xc = job.xpack + static_cast<size_t>(mt) * kt * 2 * TILE_WORDS;
      const uint16_t* xd = xc + static_cast<size_t>(kt) * 2 * TILE_WORDS;
      _tile_zero(0);
      _tile_zero(1);
      _tile_zero(2);
      _tile_zero(3);
      for (int t = 0; t < kt; ++t) {
        const size_t hi = static_cast<size_t>(t) * 2 * TILE_WORDS, lo = hi + TILE_WORDS;
        load_w(wa + hi, wb + hi);
        load_x(xc + hi, xd + hi);
        products();  // W_hi x_hi
        load_x(xc + lo, xd + lo);
        products();  // W_hi x_lo
        load_w(wa + lo, wb + lo);
        load_x(xc + hi, xd + hi);
        products();  // W_lo x_hi
      }
      _tile_stored(0, tiles[0], TILE_STRIDE);
      _tile_stored(1, tiles[1], TILE_STRIDE);
      _tile_stored(2, tiles[2], TILE_STRIDE);
      _tile_stored(3, tiles[3], TILE_STRIDE);
      const int n0 = n_begin + nt * TILE, m0 = mt * TILE;
      for (int q = 0; q < 4; ++q) {
        const int n = n0 + (q / 2) * TILE, m = m0 + (q % 2) * TILE;
        if (n < p.N && m < p.M) store(p, tiles[q], m, n);
      }
    }
  }
  _tile_release();
}

void gemm(const Problem& p) {
  thread_local std::vector<uint16_t> xbuf;
  ThreadPool& pool = ThreadPool::instance();
  Job job{&p, p.K / KT, (p.M + 2 * TILE - 1) / (2 * TILE) * 2, nullptr, 32};
  const size_t xwords = static_cast<size_t>(job.m_tiles) * job.kt * 2 * TILE_WORDS;
  if (xbuf.size() < xwords) xbuf.resize(xwords);
  job.xpack = xbuf.data();
  pool.run(job.m_tiles, pack_x, &job);
  const int per_task = (p.N + pool.size() * 2 - 1) / (pool.size() * 2);
  job.nc = std::clamp((per_task + 31) / 32 * 32, 32, NC_MAX);
  pool.run((p.N + job.nc - 1) / job.nc, gemm_task, &job);
}

// Linux hands out the AMX tile state only to a process that asks for it.
bool amx_permitted() {
  constexpr long ARCH_REQ_XCOMP_PERM = 0x1023, XFEATURE_XTILEDATA = 18;
  return syscall(SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA) == 0;
}

}  // namespace

const Kernels* amx_kernels() {
  static const Kernels* k = []() -> const Kernels* {
    // The AVX2 GEMV for decode (in avx512_kernels()): the AVX512-BF16 one runs a decode's products faster alone but
    // made a decode of the default model slower in situ (see qmm_cpu_bf16.cpp); its conversions are needed here.
    const Kernels* base = avx512_kernels();
    if (base == nullptr || avx512bf16_kernels() == nullptr || !__builtin_cpu_supports("amx-tile") ||
        !__builtin_cpu_supports("amx-bf16") || !amx_permitted()) {
      return nullptr;
    }
    g_base = base;
    static Kernels amx = *base;
    amx.gemm = gemm;
    return &amx;
  }();
  return k;
}

}  // namespace vmlx::qmm_cpu

#else

namespace vmlx::qmm_cpu {
const Kernels* amx_kernels() { return nullptr; }
}  // namespace vmlx::qmm_cpu

#endif
