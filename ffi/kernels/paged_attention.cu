// Paged attention, decode step, one pass: the body of an MLX `fast::cuda_kernel` named
// vmlx_paged_attention_decode, for rows whose keys fit one partition (ffi/src/cuda/paged_cuda.cpp decides). The
// device code is paged_attention.cuh (the kernel's header); MLX writes the signature from the call:
//   inputs   q [B, Hq, 1, D], k_pool and v_pool [num_blocks, block_size, Hkv, D] (all of type T),
//            block_tables int32 [B, max_blocks], seq_lens int32 [B], after (orders the kernel after the pools'
//            write; not read); shapes arrive as q_shape, k_pool_shape, block_tables_shape;
//   output   out [B, Hq, 1, D] of type T;
//   constants T (dtype), D (head dim), NW (warps per block), SCALE_BITS and SOFTCAP_BITS (the floats' bits;
//            softcap 0: none), WINDOW (sliding window, 0: none);
//   grid (NW * 32, Hq, B) threads in blocks of (NW * 32, 1, 1): one block per (row, query head).
// The kv head of query head h is h / (Hq / Hkv).
__shared__ float s_m[NW];
__shared__ float s_l[NW];
__shared__ float s_acc[NW * D];

const int b = blockIdx.z;
const int h = blockIdx.y;
const int Hq = q_shape[1];
const int Hkv = k_pool_shape[2];
const int max_blocks = block_tables_shape[1];
const int len = seq_lens[b];
const int64_t q_row = (int64_t(b) * Hq + h) * D;
const vmlx_paged::Keys<T> keys{k_pool, v_pool, block_tables + int64_t(b) * max_blocks, k_pool_shape[1],
                               k_pool_shape[0], Hkv, h / (Hq / Hkv)};
vmlx_paged::attend<T, D, NW, SCALE_BITS, SOFTCAP_BITS>(q + q_row, keys, vmlx_paged::window_start<WINDOW>(len), len,
                                                      s_m, s_l, s_acc);

float weight[NW];
float l_all;
vmlx_paged::block_max<NW>(s_m, weight, l_all, s_l);
for (int i = threadIdx.x; i < D; i += NW * 32) {
  float o = 0.0f;
  for (int w = 0; w < NW; w++) o += s_acc[w * D + i] * weight[w];
  out[q_row + i] = static_cast<T>(l_all > 0.0f ? o / l_all : 0.0f);
}
