// The CPU attention kernel, flash-attention style: a task takes the queries of one (row, kv head) pair,
// its grouped query heads over a run of query positions, and streams the row's keys in tiles of KEY_TILE with an
// online softmax. Each key and value is read once per task, through the block table where there is one, and no
// score matrix over the whole context is ever built. The loops use GCC/Clang vector types (8 floats), compiled
// twice (AVX2 + FMA and the baseline) and picked once by the CPU's features. float16 and bfloat16 inputs are widened
// to float32 as they are read (queries, each tile's keys and values) and the output rounded once.
#include "attention_cpu_tile.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <type_traits>
#include <vector>

#include <mlx/types/half_types.h>

#include "thread_pool.h"

#pragma GCC diagnostic ignored "-Wpsabi"  // 32-byte vectors pass only between always-inline helpers

namespace vmlx::attention_cpu {
namespace {

namespace mx = mlx::core;

#define VMLX_INLINE inline __attribute__((always_inline))

constexpr int KEY_TILE = 16;   // keys scored together (two vectors)
constexpr int ROW_GROUP = 4;   // query rows scored together (register blocking: 8 accumulators)
constexpr int TASK_ROWS = 32;  // about how many query rows (grouped heads x positions) one task takes

typedef float v8 __attribute__((vector_size(32)));
VMLX_INLINE v8 load8(const float* p) {
  v8 x;
  std::memcpy(&x, p, sizeof x);
  return x;
}
VMLX_INLINE void store8(float* p, v8 x) { std::memcpy(p, &x, sizeof x); }

// exp(x) for x <= 0, Cephes' expf polynomial (about 1 ulp); branch-free so that callers' loops vectorize.
VMLX_INLINE float exp_nonpositive(float x) {
  x = std::max(x, -87.0f);
  const float n = std::floor(x * 1.44269504088896341f + 0.5f);
  const float r = x - n * 0.693359375f + n * 2.12194440e-4f;
  float y = 1.9875691500e-4f;
  y = y * r + 1.3981999507e-3f;
  y = y * r + 8.3334519073e-3f;
  y = y * r + 4.1665795894e-2f;
  y = y * r + 1.6666665459e-1f;
  y = y * r + 5.0000001201e-1f;
  y = y * r * r + r + 1.0f;
  return y * std::bit_cast<float>((static_cast<int32_t>(n) + 127) << 23);
}

struct Layout {
  int rep;      // query heads per kv head
  int qt;       // query positions per task
  int qblocks;  // tasks per (row, kv head)
};

Layout layout_of(const Problem& p) {
  Layout l{};
  l.rep = p.Hq / p.Hkv;
  l.qt = std::min(p.L, std::max(1, TASK_ROWS / l.rep));
  l.qblocks = (p.L + l.qt - 1) / l.qt;
  return l;
}

// Key (or value) j of row b, kv head hk; `strides` are k's or v's (strided layout).
template <class T>
VMLX_INLINE const T* key_at(const Problem& p, const void* pool, const int64_t* strides, int b, int hk, int j) {
  const T* base = static_cast<const T*>(pool);
  if (!p.block_tables) return base + b * strides[0] + hk * strides[1] + j * strides[2];
  int blk = p.block_tables[static_cast<size_t>(b) * (p.S / p.block_size) + j / p.block_size];
  blk = std::clamp(blk, 0, p.num_blocks - 1);  // a bad table reads a wrong block, never outside the pool
  return base + ((static_cast<size_t>(blk) * p.block_size + j % p.block_size) * p.Hkv + hk) * p.D;
}

struct Scratch {
  std::vector<float> q, o, s, kt, m, l;
  std::vector<int> lo, hi;
  std::vector<const float*> vp;
  std::vector<float> vf;  // a tile's values widened to float32 (float16 and bfloat16 inputs)
};

// s[r][t] = q[r] . kt[:, t] for every row; q [rows_pad][D] (a multiple of ROW_GROUP rows), kt [D][KEY_TILE].
VMLX_INLINE void tile_scores(const float* q, const float* kt, float* s, int rows_pad, int D) {
  for (int r0 = 0; r0 < rows_pad; r0 += ROW_GROUP) {
    const float *q0 = q + r0 * D, *q1 = q0 + D, *q2 = q1 + D, *q3 = q2 + D;
    v8 a0{}, b0{}, a1{}, b1{}, a2{}, b2{}, a3{}, b3{};
    for (int d = 0; d < D; ++d) {
      const v8 k0 = load8(kt + d * KEY_TILE), k1 = load8(kt + d * KEY_TILE + 8);
      a0 += q0[d] * k0, b0 += q0[d] * k1;
      a1 += q1[d] * k0, b1 += q1[d] * k1;
      a2 += q2[d] * k0, b2 += q2[d] * k1;
      a3 += q3[d] * k0, b3 += q3[d] * k1;
    }
    float* out = s + r0 * KEY_TILE;
    store8(out, a0), store8(out + 8, b0), store8(out + 16, a1), store8(out + 24, b1);
    store8(out + 32, a2), store8(out + 40, b2), store8(out + 48, a3), store8(out + 56, b3);
  }
}

// o[D] += sum over t < n of p[t] * vp[t][D].
VMLX_INLINE void tile_values(float* o, const float* p, const float* const* vp, int n, int D) {
  int d = 0;
  for (; d + 32 <= D; d += 32) {
    v8 a = load8(o + d), b = load8(o + d + 8), c = load8(o + d + 16), e = load8(o + d + 24);
    for (int t = 0; t < n; ++t) {
      const float w = p[t], *v = vp[t] + d;
      a += w * load8(v), b += w * load8(v + 8), c += w * load8(v + 16), e += w * load8(v + 24);
    }
    store8(o + d, a), store8(o + d + 8, b), store8(o + d + 16, c), store8(o + d + 24, e);
  }
  for (; d + 8 <= D; d += 8) {
    v8 a = load8(o + d);
    for (int t = 0; t < n; ++t) a += p[t] * load8(vp[t] + d);
    store8(o + d, a);
  }
  for (; d < D; ++d) {
    float a = o[d];
    for (int t = 0; t < n; ++t) a += p[t] * vp[t][d];
    o[d] = a;
  }
}

// Turns row r's scores in s (keys j0 .. j0 + KEY_TILE) into weights against the running max m, rescaling the
// running sum l and output o. False when no key of the tile is visible to the row (weights all zero).
VMLX_INLINE bool tile_softmax(float* s, float& m, float& l, float* o, int a, int e, int D) {
  if (a >= e) return false;
  float top = -INFINITY;
  for (int t = a; t < e; ++t) top = std::max(top, s[t]);
  const float next = std::max(m, top);
  const float shrink = exp_nonpositive(m - next);  // m = -inf: o and l are still 0
  float sum = 0.0f;
  for (int t = 0; t < KEY_TILE; ++t) {
    const float w = exp_nonpositive(s[t] - next);
    s[t] = (t >= a && t < e) ? w : 0.0f;
    sum += s[t];
  }
  l = l * shrink + sum;
  m = next;
  if (shrink != 1.0f) {
    for (int d = 0; d < D; ++d) o[d] *= shrink;
  }
  return true;
}

template <class T>
VMLX_INLINE void run_task(const Problem& p, const Layout& lay, int task) {
  constexpr bool WIDEN = !std::is_same_v<T, float>;
  const int D = p.D, qb = task % lay.qblocks, bh = task / lay.qblocks, hk = bh % p.Hkv, b = bh / p.Hkv;
  const int i0 = qb * lay.qt, npos = std::min(p.L, i0 + lay.qt) - i0;
  const int rows = lay.rep * npos, rows_pad = (rows + ROW_GROUP - 1) / ROW_GROUP * ROW_GROUP;
  const int n = p.seq_lens ? std::clamp(p.seq_lens[b], 0, p.S) : p.S;
  thread_local Scratch sc;
  sc.q.assign(static_cast<size_t>(rows_pad) * D, 0.0f);
  sc.o.assign(static_cast<size_t>(rows_pad) * D, 0.0f);
  sc.s.resize(static_cast<size_t>(rows_pad) * KEY_TILE);
  sc.kt.assign(static_cast<size_t>(D) * KEY_TILE, 0.0f);
  sc.m.assign(rows_pad, -INFINITY);
  sc.l.assign(rows_pad, 0.0f);
  sc.lo.assign(rows_pad, 0);
  sc.hi.assign(rows_pad, 0);
  sc.vp.assign(KEY_TILE, nullptr);
  if (WIDEN) sc.vf.resize(static_cast<size_t>(KEY_TILE) * D);
  int klo = n, khi = 0;
  for (int r = 0; r < rows; ++r) {
    const int h = hk * lay.rep + r / npos, i = i0 + r % npos, pos = n - p.L + i;
    const T* src = static_cast<const T*>(p.q) + ((static_cast<size_t>(b) * p.Hq + h) * p.L + i) * D;
    for (int d = 0; d < D; ++d) sc.q[static_cast<size_t>(r) * D + d] = static_cast<float>(src[d]) * p.scale;
    sc.hi[r] = std::max(0, p.causal ? std::min(pos + 1, n) : n);
    sc.lo[r] = p.window > 0 ? std::max(0, pos - p.window + 1) : 0;
    if (sc.lo[r] < sc.hi[r]) klo = std::min(klo, sc.lo[r]), khi = std::max(khi, sc.hi[r]);
  }
  for (int j0 = klo; j0 < khi; j0 += KEY_TILE) {
    const int count = std::min(KEY_TILE, khi - j0);
    for (int t = 0; t < count; ++t) {
      const T* k = key_at<T>(p, p.k, p.k_strides, b, hk, j0 + t);
      for (int d = 0; d < D; ++d) sc.kt[d * KEY_TILE + t] = static_cast<float>(k[d]);
      const T* v = key_at<T>(p, p.v, p.v_strides, b, hk, j0 + t);
      if constexpr (WIDEN) {
        float* vf = sc.vf.data() + static_cast<size_t>(t) * D;
        for (int d = 0; d < D; ++d) vf[d] = static_cast<float>(v[d]);
        sc.vp[t] = vf;
      } else {
        sc.vp[t] = v;
      }
    }
    for (int t = count; t < KEY_TILE; ++t) {
      for (int d = 0; d < D; ++d) sc.kt[d * KEY_TILE + t] = 0.0f;
    }
    tile_scores(sc.q.data(), sc.kt.data(), sc.s.data(), rows_pad, D);
    for (int r = 0; r < rows; ++r) {
      float* s = sc.s.data() + r * KEY_TILE;
      float* o = sc.o.data() + static_cast<size_t>(r) * D;
      const int a = std::max(sc.lo[r] - j0, 0), e = std::min(sc.hi[r] - j0, count);
      if (tile_softmax(s, sc.m[r], sc.l[r], o, a, e, D)) tile_values(o, s, sc.vp.data(), count, D);
    }
  }
  for (int r = 0; r < rows; ++r) {
    const int h = hk * lay.rep + r / npos, i = i0 + r % npos;
    T* dst = static_cast<T*>(p.out) + ((static_cast<size_t>(b) * p.Hq + h) * p.L + i) * D;
    const float* o = sc.o.data() + static_cast<size_t>(r) * D;
    const float inv = sc.l[r] > 0.0f ? 1.0f / sc.l[r] : 0.0f;
    for (int d = 0; d < D; ++d) dst[d] = static_cast<T>(o[d] * inv);
  }
}

struct Run {
  const Problem* p;
  Layout lay;
};

template <class T>
void task_baseline(void* ctx, int t) {
  const Run& r = *static_cast<const Run*>(ctx);
  run_task<T>(*r.p, r.lay, t);
}

using Task = void (*)(void*, int);

#if defined(__x86_64__) && defined(__GNUC__)
// The same loops with AVX2 + FMA, taken where the CPU has them. (A target_clones "arch=haswell" clone would
// dispatch on the exact CPU model, so AMD and later Intel parts would run the baseline.)
template <class T>
__attribute__((target("avx2,fma"))) void task_avx2(void* ctx, int t) {
  const Run& r = *static_cast<const Run*>(ctx);
  run_task<T>(*r.p, r.lay, t);
}

template <class T>
Task pick_task() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? task_avx2<T> : task_baseline<T>;
}
#else
template <class T>
Task pick_task() { return task_baseline<T>; }
#endif

Task task_for(Dtype dt) {
  static const Task f32 = pick_task<float>(), f16 = pick_task<mx::float16_t>(), bf16 = pick_task<mx::bfloat16_t>();
  return dt == Dtype::f16 ? f16 : dt == Dtype::bf16 ? bf16 : f32;
}

}  // namespace

void run(const Problem& p) {
  if (p.B == 0 || p.Hq == 0 || p.L == 0 || p.D == 0) return;
  Run r{&p, layout_of(p)};
  ThreadPool::instance().run(p.B * p.Hkv * r.lay.qblocks, task_for(p.dtype), &r);
}

}  // namespace vmlx::attention_cpu
