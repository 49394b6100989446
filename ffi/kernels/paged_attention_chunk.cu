// Paged attention for R single-query rows of one block table (a prefill chunk over cached keys split into rows, and
// any pad rows repeating its last: row r at position seq_lens[r] - 1, every row through block_tables' row 0), CUDA:
// the body of a kernel named vmlx_paged_attention_chunk (ffi/src/cuda/paged_cuda.cpp), after paged_attention.cuh
// (its header). It writes the partial states that paged_attention_merge.cu combines, as the split kernel does.
//   inputs   q [R, Hq, 1, D], k_pool and v_pool [num_blocks, block_size, Hkv, D] (all of type T), block_tables int32
//            [R, max_blocks] (row 0 read), seq_lens int32 [R], after (orders the kernel after the pools' write; not
//            read); their shapes arrive as q_shape, k_pool_shape, block_tables_shape;
//   outputs  part_ml float32 [R, Hq, P, 2] (each query's max and sum over partition p), part_acc float32
//            [R, Hq, P, D] (its unnormalized output, relative to that max);
//   constants T, D (a multiple of 32), NW (warps a block), TK (keys a tile, a multiple of 32), QW (queries a warp
//            holds at once), PART (keys a partition, a multiple of TK), SCALE_BITS and SOFTCAP_BITS (the floats'
//            bits; softcap 0: none), WINDOW (sliding window, 0: none);
//   grid     (NW * 32 * P, Hkv, Z) threads in blocks of (NW * 32, 1, 1): one block per (partition, kv head, round of
//            NW * QW queries); Z = ceil(R * Hq / Hkv / (NW * QW)), so that a long chunk (a short prompt split into many
//            rows) spreads its queries over blocks instead of repeating the tiles in one.
//
// The decode kernels give every (row, query head) its own pass over the keys, so a chunk of R rows reads each key R
// times per query head. Here a block reads each key of its partition once, TK at a time into shared memory, and
// every query of its kv head (R rows times Hq / Hkv heads) in the block's round attends to that tile from there:
// warp w holds queries w * QW .. w * QW + QW - 1 of the round's NW * QW (a grid with fewer rounds than the chunk has
// repeats the tiles for the next).
//
// For a tile, lane j scores keys j, j + 32, ... against all QW of its warp's queries at once: each 16-byte vector of
// the key row is read from shared memory once and feeds QW independent sums (the queries' rows come from shared
// memory as broadcast float4s). The warp takes each query's tile max and sum by shuffles, writes the weights to its
// slice of shared memory, and each lane adds the tile's values to its D / 32 consecutive dims of all QW accumulators,
// each value vector read once. The next tile's keys and values are loaded into registers while this one is used.
// Float32 throughout; an online softmax (max m, sum l) per query.
constexpr int VEC = 16 / int(sizeof(T));  // elements in a 16-byte vector
constexpr int DV = D / VEC;               // 16-byte vectors a key row
constexpr int DL = D / 32;                // consecutive dims of a query's accumulator a lane holds
constexpr int KPL = TK / 32;              // keys of a tile a lane scores
constexpr int ROW = D + VEC;              // a tile row in shared memory: padded 16 bytes, so lanes on rows spread
constexpr int LOADS = (TK * DV + NW * 32 - 1) / (NW * 32);  // 16-byte vectors of K (and of V) a thread loads a tile
static_assert(D % 32 == 0 && TK % 32 == 0 && PART % TK == 0 && VEC % 4 == 0, "D and TK multiples of 32, PART of TK");
__shared__ __align__(16) T s_k[TK * ROW];
__shared__ __align__(16) T s_v[TK * ROW];
__shared__ __align__(16) float s_q[NW * QW * D];
__shared__ __align__(16) float s_p[NW * QW * TK];  // each warp's weights of the tile's keys, a row of TK per query

const int p = blockIdx.x;
const int P = gridDim.x;
const int kv = blockIdx.y;
const int warp = threadIdx.x / 32;
const int lane = threadIdx.x % 32;
const int R = q_shape[0];
const int Hq = q_shape[1];
const int Hkv = k_pool_shape[2];
const int group = Hq / Hkv;
const int QN = R * group;  // query (row r, head kv * group + g) is number r * group + g
const float scale = __int_as_float(SCALE_BITS);
const float softcap = __int_as_float(SOFTCAP_BITS);
const vmlx_paged::Keys<T> keys{k_pool, v_pool, block_tables, k_pool_shape[1], k_pool_shape[0], Hkv, kv};
const bool aligned = ((reinterpret_cast<uintptr_t>(k_pool) | reinterpret_cast<uintptr_t>(v_pool)) % 16) == 0;
float* my_q = s_q + warp * QW * D;
float* my_p = s_p + warp * QW * TK;

// This thread's share of the tile of keys [t0, t0 + TK) (zeros past hi), into registers.
auto load_tile = [&](int t0, int hi, uint4 (&kx)[LOADS], uint4 (&vx)[LOADS]) {
#pragma unroll
  for (int n = 0; n < LOADS; n++) {
    const int i = threadIdx.x + n * NW * 32;
    const int kk = i / DV, c = i % DV, t = t0 + kk;
    kx[n] = make_uint4(0u, 0u, 0u, 0u);
    vx[n] = make_uint4(0u, 0u, 0u, 0u);
    if (i < TK * DV && t < hi) {
      const int64_t at = keys.offset(t, D) + c * VEC;
      if (aligned) {
        kx[n] = *reinterpret_cast<const uint4*>(k_pool + at);
        vx[n] = *reinterpret_cast<const uint4*>(v_pool + at);
      } else {
        T* ke = reinterpret_cast<T*>(&kx[n]);
        T* ve = reinterpret_cast<T*>(&vx[n]);
        for (int e = 0; e < VEC; e++) {
          ke[e] = k_pool[at + e];
          ve[e] = v_pool[at + e];
        }
      }
    }
  }
};

for (int q0 = blockIdx.z * NW * QW; q0 < QN; q0 += gridDim.z * NW * QW) {
  // The keys of this partition some row of the round sees, [lo, hi): the lanes read the round's rows together.
  int lo = p * PART + PART;
  int hi = 0;
  for (int r = q0 / group + lane; r <= (min(q0 + NW * QW, QN) - 1) / group; r += 32) {
    const int len = seq_lens[r];
    lo = min(lo, vmlx_paged::window_start<WINDOW>(len));
    hi = max(hi, len);
  }
  for (int off = 16; off > 0; off /= 2) {
    lo = min(lo, __shfl_xor_sync(0xffffffffu, lo, off));
    hi = max(hi, __shfl_xor_sync(0xffffffffu, hi, off));
  }
  lo = max(lo, p * PART);
  hi = min(hi, p * PART + PART);

  // The warp's queries (scaled) into shared memory; each one's keys [start, len). A query past the chunk sees none.
  int start[QW], len[QW];
#pragma unroll
  for (int j = 0; j < QW; j++) {
    const int qi = q0 + warp * QW + j;
    start[j] = 0;
    len[j] = 0;
    if (qi < QN) {
      const int64_t at = (int64_t(qi / group) * Hq + kv * group + qi % group) * D;
      for (int d = lane; d < D; d += 32) my_q[j * D + d] = static_cast<float>(q[at + d]) * scale;
      len[j] = seq_lens[qi / group];
      start[j] = vmlx_paged::window_start<WINDOW>(len[j]);
    }
  }
  __syncwarp();
  float m[QW], l[QW], acc[QW][DL];
#pragma unroll
  for (int j = 0; j < QW; j++) {
    m[j] = vmlx_paged::NEG_INF;
    l[j] = 0.0f;
#pragma unroll
    for (int i = 0; i < DL; i++) acc[j][i] = 0.0f;
  }

  uint4 kx[LOADS], vx[LOADS];
  if (lo < hi) load_tile(lo, hi, kx, vx);
  for (int t0 = lo; t0 < hi; t0 += TK) {
    __syncthreads();  // every warp is done with the previous tile
#pragma unroll
    for (int n = 0; n < LOADS; n++) {
      const int i = threadIdx.x + n * NW * 32;
      if (i < TK * DV) {
        *reinterpret_cast<uint4*>(s_k + (i / DV) * ROW + (i % DV) * VEC) = kx[n];
        *reinterpret_cast<uint4*>(s_v + (i / DV) * ROW + (i % DV) * VEC) = vx[n];
      }
    }
    __syncthreads();
    if (t0 + TK < hi) load_tile(t0 + TK, hi, kx, vx);  // in flight while this tile is used

    // Scores: lane's keys against the warp's QW queries, each key vector read once.
    float s[QW][KPL];
#pragma unroll
    for (int u = 0; u < KPL; u++) {
      const int kk = lane + 32 * u, t = t0 + kk;
      const T* krow = s_k + kk * ROW;
      float dot[QW][2];
#pragma unroll
      for (int j = 0; j < QW; j++) dot[j][0] = dot[j][1] = 0.0f;
#pragma unroll
      for (int c = 0; c < DV; c++) {
        const uint4 kv4 = *reinterpret_cast<const uint4*>(krow + c * VEC);
        float kf[VEC];
#pragma unroll
        for (int e = 0; e < VEC; e++) kf[e] = vmlx_paged::elem<T>(kv4, e);
#pragma unroll
        for (int j = 0; j < QW; j++) {
          const float4* qv = reinterpret_cast<const float4*>(my_q + j * D + c * VEC);
#pragma unroll
          for (int e4 = 0; e4 < VEC / 4; e4++) {
            const float4 qq = qv[e4];
            float& d = dot[j][e4 % 2];
            d = fmaf(qq.x, kf[4 * e4], d);
            d = fmaf(qq.y, kf[4 * e4 + 1], d);
            d = fmaf(qq.z, kf[4 * e4 + 2], d);
            d = fmaf(qq.w, kf[4 * e4 + 3], d);
          }
        }
      }
#pragma unroll
      for (int j = 0; j < QW; j++) {
        float x = dot[j][0] + dot[j][1];
        if constexpr (SOFTCAP_BITS != 0) x = softcap * tanhf(x / softcap);
        s[j][u] = (t >= start[j] && t < len[j] && t < hi) ? x : vmlx_paged::NEG_INF;
      }
    }

    // Each query's tile max and weights; the running state rescaled. A query no key of this tile reaches keeps its
    // state (weights 0), and a tile no query of the warp reaches is skipped.
    float tile_max[QW];
#pragma unroll
    for (int j = 0; j < QW; j++) {
      tile_max[j] = vmlx_paged::NEG_INF;
#pragma unroll
      for (int u = 0; u < KPL; u++) tile_max[j] = fmaxf(tile_max[j], s[j][u]);
    }
    for (int off = 16; off > 0; off /= 2) {
#pragma unroll
      for (int j = 0; j < QW; j++) tile_max[j] = fmaxf(tile_max[j], __shfl_xor_sync(0xffffffffu, tile_max[j], off));
    }
    bool any = false;
    float sum[QW], correction[QW];
#pragma unroll
    for (int j = 0; j < QW; j++) {
      const bool live = tile_max[j] != vmlx_paged::NEG_INF;
      any = any || live;
      const float m_new = live ? fmaxf(m[j], tile_max[j]) : m[j];
      correction[j] = live ? expf(m[j] - m_new) : 1.0f;  // 0 while m[j] is -inf
      sum[j] = 0.0f;
#pragma unroll
      for (int u = 0; u < KPL; u++) {
        const float w = s[j][u] == vmlx_paged::NEG_INF ? 0.0f : expf(s[j][u] - m_new);
        my_p[j * TK + lane + 32 * u] = w;
        sum[j] += w;
      }
      m[j] = m_new;
    }
    if (!any) continue;  // the same for every lane of the warp
    for (int off = 16; off > 0; off /= 2) {
#pragma unroll
      for (int j = 0; j < QW; j++) sum[j] += __shfl_xor_sync(0xffffffffu, sum[j], off);
    }
#pragma unroll
    for (int j = 0; j < QW; j++) {
      l[j] = l[j] * correction[j] + sum[j];
#pragma unroll
      for (int i = 0; i < DL; i++) acc[j][i] *= correction[j];
    }
    __syncwarp();  // the weights are in shared memory

    // Values: four keys at a time, each value vector read once for the QW accumulators.
#pragma unroll 2
    for (int k4 = 0; k4 < TK; k4 += 4) {
      float w[QW][4];
#pragma unroll
      for (int j = 0; j < QW; j++) {
        const float4 w4 = *reinterpret_cast<const float4*>(my_p + j * TK + k4);
        w[j][0] = w4.x;
        w[j][1] = w4.y;
        w[j][2] = w4.z;
        w[j][3] = w4.w;
      }
#pragma unroll
      for (int e = 0; e < 4; e++) {
        const T* vrow = s_v + (k4 + e) * ROW + lane * DL;
        float vf[DL];
        if constexpr (DL * sizeof(T) % 16 == 0) {  // whole 16-byte vectors (the row's offsets are multiples of 16)
#pragma unroll
          for (int g = 0; g < DL / VEC; g++) {
            const uint4 x = *reinterpret_cast<const uint4*>(vrow + g * VEC);
#pragma unroll
            for (int i = 0; i < VEC; i++) vf[g * VEC + i] = vmlx_paged::elem<T>(x, i);
          }
        } else if constexpr (DL * sizeof(T) == 8) {
          const uint2 x = *reinterpret_cast<const uint2*>(vrow);
#pragma unroll
          for (int i = 0; i < DL; i++) vf[i] = static_cast<float>(reinterpret_cast<const T*>(&x)[i]);
        } else {
#pragma unroll
          for (int i = 0; i < DL; i++) vf[i] = static_cast<float>(vrow[i]);
        }
#pragma unroll
        for (int j = 0; j < QW; j++) {
#pragma unroll
          for (int i = 0; i < DL; i++) acc[j][i] = fmaf(w[j][e], vf[i], acc[j][i]);
        }
      }
    }
    __syncwarp();  // the weights are read before the next tile writes them
  }

#pragma unroll
  for (int j = 0; j < QW; j++) {
    const int qi = q0 + warp * QW + j;
    if (qi < QN) {
      const int64_t slot = (int64_t(qi / group) * Hq + kv * group + qi % group) * P + p;
      if (lane == 0) {
        part_ml[slot * 2] = m[j];
        part_ml[slot * 2 + 1] = l[j];
      }
#pragma unroll
      for (int i = 0; i < DL; i++) part_acc[slot * D + lane * DL + i] = acc[j][i];
    }
  }
  __syncwarp();  // this warp's queries are read before the next round writes them
}
