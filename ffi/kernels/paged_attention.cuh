// Paged attention, decode step, CUDA: the device code shared by the kernels paged_attention.cu (one pass over a
// row's keys, writes out) and paged_attention_split.cu (one pass over a partition of them, writes a partial
// state that paged_attention_merge.cu combines). MLX's `fast::cuda_kernel` puts this text (its `header`) before
// the kernel it writes around each body, after its own device utilities (cuda_fp16.h, cuda_bf16.h, cuda::std).
//
// A block of NW warps walks keys [first, last) of one (row, query head). A warp is split into lane groups of G
// lanes; each group takes one key per trip, so a warp has 32 / G keys in flight, each read as 16-byte vectors
// (NV of them per lane, lanes of a group on consecutive vectors). The next trip's key and value vectors are
// loaded before the current ones are used. Each group keeps an online softmax (max m, sum l, accumulator acc in
// float32); the groups of a warp merge through shuffles, the warps through shared memory.
namespace vmlx_paged {

constexpr float NEG_INF = -cuda::std::numeric_limits<float>::infinity();

// Lanes per key: the largest power of two up to 32 that splits a row's 16-byte vectors evenly, at least two
// vectors a lane (fp16/bf16: D 64 -> 4, 80 -> 2, 96 -> 4, 128 -> 8, 256 -> 16; fp32: 8, 4, 8, 16, 32).
constexpr int group_lanes(int vectors) {
  int g = 32;
  while (g > 1 && (vectors % g != 0 || vectors / g < 2)) g /= 2;
  return g;
}

template <typename T, int D>
struct Layout {
  static constexpr int VEC = 16 / int(sizeof(T));  // elements in a 16-byte vector
  static constexpr int G = group_lanes(D / VEC);     // lanes per key
  static constexpr int NV = D / VEC / G;             // vectors per lane
  static constexpr int KPT = 32 / G;                 // keys per warp trip
  static_assert(D % VEC == 0 && (D / VEC) % G == 0, "head dim must be a multiple of a 16-byte vector");
};

// The NV vectors of lane `gl` from `row` (lane gl holds vectors gl, gl + G, ...); element loads where the pools
// are not 16-byte aligned.
template <typename T, int D>
__device__ __forceinline__ void load_row(uint4 (&out)[Layout<T, D>::NV], const T* row, int gl, bool aligned) {
  using L = Layout<T, D>;
  for (int j = 0; j < L::NV; j++) {
    const T* p = row + (gl + L::G * j) * L::VEC;
    if (aligned) {
      out[j] = *reinterpret_cast<const uint4*>(p);
    } else {
      T* e = reinterpret_cast<T*>(&out[j]);
      for (int i = 0; i < L::VEC; i++) e[i] = p[i];
    }
  }
}

template <typename T>
__device__ __forceinline__ float elem(const uint4& v, int i) {
  return static_cast<float>(reinterpret_cast<const T*>(&v)[i]);
}

// Where one (row, kv head)'s keys live: the pools, the row's block table and the pool geometry.
template <typename T>
struct Keys {
  const T* k_pool;
  const T* v_pool;
  const int32_t* table;  // the row's block table
  int block_size;
  int num_blocks;
  int Hkv;
  int kv_head;

  __device__ __forceinline__ int64_t offset(int t, int d) const {
    int64_t block = table[t / block_size];
    block = block < 0 ? 0 : block >= num_blocks ? num_blocks - 1 : block;  // a bad id stays inside the pool
    return ((block * block_size + t % block_size) * Hkv + kv_head) * int64_t(d);
  }
};

// Attends query `q` (D values of T) over keys [first, last) with NW warps; leaves each warp's state in shared
// memory: s_m[w], s_l[w] and s_acc[w * D + i] (not normalized, relative to s_m[w]). Ends with __syncthreads.
template <typename T, int D, int NW, int SCALE_BITS, int SOFTCAP_BITS>
__device__ void attend(const T* q, const Keys<T>& keys, int first, int last, float* s_m, float* s_l, float* s_acc) {
  using L = Layout<T, D>;
  const float scale = __int_as_float(SCALE_BITS);
  const float softcap = __int_as_float(SOFTCAP_BITS);
  const int warp = threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  const int grp = lane / L::G;  // this lane's key within the warp's trip
  const int gl = lane % L::G;   // this lane's place within its group
  const bool aligned = ((reinterpret_cast<uintptr_t>(keys.k_pool) | reinterpret_cast<uintptr_t>(keys.v_pool)) % 16) == 0;

  float qv[L::NV][L::VEC];
  float acc[L::NV][L::VEC];
  for (int j = 0; j < L::NV; j++) {
    for (int i = 0; i < L::VEC; i++) {
      qv[j][i] = static_cast<float>(q[(gl + L::G * j) * L::VEC + i]) * scale;
      acc[j][i] = 0.0f;
    }
  }
  float m = NEG_INF;
  float l = 0.0f;
  constexpr int PER_TRIP = NW * L::KPT;
  uint4 kc[L::NV], vc[L::NV], kn[L::NV], vn[L::NV];
  int t = first + warp * L::KPT + grp;
  if (t < last) {
    const int64_t at = keys.offset(t, D);
    load_row<T, D>(kc, keys.k_pool + at, gl, aligned);
    load_row<T, D>(vc, keys.v_pool + at, gl, aligned);
  }
  // The loop bound is the warp's first key, so every lane of a warp takes the same trips (the shuffles need it).
  for (int base = first + warp * L::KPT; base < last; base += PER_TRIP, t += PER_TRIP) {
    const bool valid = t < last;
    if (t + PER_TRIP < last) {
      const int64_t at = keys.offset(t + PER_TRIP, D);
      load_row<T, D>(kn, keys.k_pool + at, gl, aligned);
      load_row<T, D>(vn, keys.v_pool + at, gl, aligned);
    }
    float partial = 0.0f;
    if (valid) {
      for (int j = 0; j < L::NV; j++) {
        for (int i = 0; i < L::VEC; i++) partial += qv[j][i] * elem<T>(kc[j], i);
      }
    }
    for (int off = L::G / 2; off > 0; off /= 2) partial += __shfl_xor_sync(0xffffffffu, partial, off);
    if (valid) {
      float score = partial;
      if constexpr (SOFTCAP_BITS != 0) score = softcap * tanhf(score / softcap);
      const float m_new = fmaxf(m, score);
      const float correction = expf(m - m_new);
      const float p = expf(score - m_new);
      l = l * correction + p;
      for (int j = 0; j < L::NV; j++) {
        for (int i = 0; i < L::VEC; i++) acc[j][i] = acc[j][i] * correction + p * elem<T>(vc[j], i);
      }
      m = m_new;
    }
    for (int j = 0; j < L::NV; j++) {
      kc[j] = kn[j];
      vc[j] = vn[j];
    }
  }

  // The warp's groups hold the same dims at the same place in the group: merge them lane to lane.
  for (int off = 16; off >= L::G; off /= 2) {
    const float m_o = __shfl_xor_sync(0xffffffffu, m, off);
    const float l_o = __shfl_xor_sync(0xffffffffu, l, off);
    const float m_new = fmaxf(m, m_o);
    const float a = m == NEG_INF ? 0.0f : expf(m - m_new);
    const float b = m_o == NEG_INF ? 0.0f : expf(m_o - m_new);
    l = l * a + l_o * b;
    for (int j = 0; j < L::NV; j++) {
      for (int i = 0; i < L::VEC; i++) acc[j][i] = acc[j][i] * a + __shfl_xor_sync(0xffffffffu, acc[j][i], off) * b;
    }
    m = m_new;
  }
  if (lane == 0) {
    s_m[warp] = m;
    s_l[warp] = l;
  }
  if (grp == 0) {
    for (int j = 0; j < L::NV; j++) {
      for (int i = 0; i < L::VEC; i++) s_acc[warp * D + (gl + L::G * j) * L::VEC + i] = acc[j][i];
    }
  }
  __syncthreads();
}

// The block's state from its warps' (after attend): the common max, and each warp's weight against it.
template <int NW>
__device__ __forceinline__ float block_max(const float* s_m, float (&weight)[NW], float& l_all, const float* s_l) {
  float m_all = NEG_INF;
  for (int w = 0; w < NW; w++) m_all = fmaxf(m_all, s_m[w]);
  l_all = 0.0f;
  for (int w = 0; w < NW; w++) {
    weight[w] = s_m[w] == NEG_INF ? 0.0f : expf(s_m[w] - m_all);
    l_all += s_l[w] * weight[w];
  }
  return m_all;
}

// The first key row `len` attends to under a sliding window of WINDOW keys (0: none).
template <int WINDOW>
__device__ __forceinline__ int window_start(int len) {
  if constexpr (WINDOW > 0) return len > WINDOW ? len - WINDOW : 0;
  return 0;
}

}  // namespace vmlx_paged
