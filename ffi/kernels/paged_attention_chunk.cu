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
// repeats the tiles for the next). For a query and a tile, lane j scores keys j, j + 32, ... (the key's row from
// shared memory, the query's from shared memory, broadcast), the warp takes the tile's max and sum by shuffles, and
// each lane adds the tile's values to its dims j, j + 32, ... of the accumulator, the weights passed lane to lane.
// Float32 throughout; an online softmax (max m, sum l) per query.
constexpr int VEC = 16 / int(sizeof(T));  // elements in a 16-byte vector
constexpr int DV = D / VEC;               // 16-byte vectors a key row
constexpr int DL = D / 32;                // dims of a query's accumulator a lane holds
constexpr int KPL = TK / 32;              // keys of a tile a lane scores
constexpr int ROW = D + VEC;              // a tile row in shared memory: padded 16 bytes, so lanes on rows spread
static_assert(D % 32 == 0 && TK % 32 == 0 && PART % TK == 0, "D and TK multiples of 32, PART of TK");
__shared__ __align__(16) T s_k[TK * ROW];
__shared__ __align__(16) T s_v[TK * ROW];
__shared__ __align__(16) float s_q[NW * QW * D];

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

for (int q0 = blockIdx.z * NW * QW; q0 < QN; q0 += gridDim.z * NW * QW) {
  // The keys of this partition some row of the round sees: [lo, hi).
  int lo = p * PART + PART;
  int hi = 0;
  for (int r = q0 / group; r <= (min(q0 + NW * QW, QN) - 1) / group; r++) {
    const int len = seq_lens[r];
    lo = min(lo, vmlx_paged::window_start<WINDOW>(len));
    hi = max(hi, len);
  }
  lo = max(lo, p * PART);
  hi = min(hi, p * PART + PART);
  float* my_q = s_q + warp * QW * D;
#pragma unroll
  for (int j = 0; j < QW; j++) {
    const int qi = q0 + warp * QW + j;
    if (qi < QN) {
      const int64_t at = (int64_t(qi / group) * Hq + kv * group + qi % group) * D;
      for (int d = lane; d < D; d += 32) my_q[j * D + d] = static_cast<float>(q[at + d]) * scale;
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

  for (int t0 = lo; t0 < hi; t0 += TK) {
    __syncthreads();  // every warp is done with the previous tile
    for (int i = threadIdx.x; i < TK * DV; i += NW * 32) {
      const int kk = i / DV, c = i % DV, t = t0 + kk;
      uint4 kx = make_uint4(0u, 0u, 0u, 0u), vx = make_uint4(0u, 0u, 0u, 0u);
      if (t < hi) {
        const int64_t at = keys.offset(t, D) + c * VEC;
        if (aligned) {
          kx = *reinterpret_cast<const uint4*>(k_pool + at);
          vx = *reinterpret_cast<const uint4*>(v_pool + at);
        } else {
          T* ke = reinterpret_cast<T*>(&kx);
          T* ve = reinterpret_cast<T*>(&vx);
          for (int e = 0; e < VEC; e++) {
            ke[e] = k_pool[at + e];
            ve[e] = v_pool[at + e];
          }
        }
      }
      *reinterpret_cast<uint4*>(s_k + kk * ROW + c * VEC) = kx;
      *reinterpret_cast<uint4*>(s_v + kk * ROW + c * VEC) = vx;
    }
    __syncthreads();

#pragma unroll
    for (int j = 0; j < QW; j++) {
      const int qi = q0 + warp * QW + j;
      if (qi >= QN) break;  // the same for every lane of the warp
      const int len = seq_lens[qi / group];
      const int start = vmlx_paged::window_start<WINDOW>(len);
      const float* qs = my_q + j * D;
      float s[KPL];
      float tile_max = vmlx_paged::NEG_INF;
#pragma unroll
      for (int u = 0; u < KPL; u++) {
        const int kk = lane + 32 * u, t = t0 + kk;
        const T* krow = s_k + kk * ROW;
        float dot = 0.0f;
#pragma unroll
        for (int c = 0; c < DV; c++) {
          const uint4 kx = *reinterpret_cast<const uint4*>(krow + c * VEC);
#pragma unroll
          for (int e = 0; e < VEC; e++) dot = fmaf(qs[c * VEC + e], vmlx_paged::elem<T>(kx, e), dot);
        }
        if constexpr (SOFTCAP_BITS != 0) dot = softcap * tanhf(dot / softcap);
        s[u] = (t >= start && t < len && t < hi) ? dot : vmlx_paged::NEG_INF;
        tile_max = fmaxf(tile_max, s[u]);
      }
      for (int off = 16; off > 0; off /= 2) tile_max = fmaxf(tile_max, __shfl_xor_sync(0xffffffffu, tile_max, off));
      if (tile_max == vmlx_paged::NEG_INF) continue;  // no key of this tile for this query
      const float m_new = fmaxf(m[j], tile_max);
      const float correction = expf(m[j] - m_new);  // 0 while m[j] is -inf
      float sum = 0.0f;
#pragma unroll
      for (int u = 0; u < KPL; u++) {
        s[u] = s[u] == vmlx_paged::NEG_INF ? 0.0f : expf(s[u] - m_new);
        sum += s[u];
      }
      for (int off = 16; off > 0; off /= 2) sum += __shfl_xor_sync(0xffffffffu, sum, off);
      l[j] = l[j] * correction + sum;
#pragma unroll
      for (int i = 0; i < DL; i++) acc[j][i] *= correction;
#pragma unroll
      for (int kk = 0; kk < TK; kk++) {
        const float w = __shfl_sync(0xffffffffu, s[kk / 32], kk % 32);
        const T* vrow = s_v + kk * ROW;
#pragma unroll
        for (int i = 0; i < DL; i++) acc[j][i] = fmaf(w, static_cast<float>(vrow[lane + 32 * i]), acc[j][i]);
      }
      m[j] = m_new;
    }
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
      for (int i = 0; i < DL; i++) part_acc[slot * D + lane + 32 * i] = acc[j][i];
    }
  }
  __syncwarp();  // this warp's queries are read before the next round writes them
}
