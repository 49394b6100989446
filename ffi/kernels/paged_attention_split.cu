// Paged attention, decode step, split over the keys (flash-decoding): the body of an MLX `fast::cuda_kernel` named
// vmlx_paged_attention_partition. Block (p, h, b) attends query head h of row b over the row's keys
// [p * PART, (p + 1) * PART) (cut to its window and length) and writes that partition's state, which
// paged_attention_merge.cu combines. The device code is paged_attention.cuh (the kernel's header).
//   inputs   as paged_attention.cu: q, k_pool, v_pool, block_tables, seq_lens, after;
//   outputs  part_ml float32 [B, Hq, P, 2] (max, sum; an empty partition: -inf, 0),
//            part_acc float32 [B, Hq, P, D] (not normalized, relative to the partition's max);
//   constants T, D, NW, SCALE_BITS, SOFTCAP_BITS, WINDOW as paged_attention.cu, and PART (keys a partition);
//   grid (NW * 32 * P, Hq, B) threads in blocks of (NW * 32, 1, 1).
__shared__ float s_m[NW];
__shared__ float s_l[NW];
__shared__ float s_acc[NW * D];

const int p = blockIdx.x;
const int P = gridDim.x;
const int b = blockIdx.z;
const int h = blockIdx.y;
const int Hq = q_shape[1];
const int Hkv = k_pool_shape[2];
const int max_blocks = block_tables_shape[1];
const int len = seq_lens[b];
const int first = max(vmlx_paged::window_start<WINDOW>(len), p * PART);
const int last = min(len, (p + 1) * PART);
const vmlx_paged::Keys<T> keys{k_pool, v_pool, block_tables + int64_t(b) * max_blocks, k_pool_shape[1],
                               k_pool_shape[0], Hkv, h / (Hq / Hkv)};
vmlx_paged::attend<T, D, NW, SCALE_BITS, SOFTCAP_BITS>(q + (int64_t(b) * Hq + h) * D, keys, first, last, s_m, s_l,
                                                      s_acc);

float weight[NW];
float l_all;
const float m_all = vmlx_paged::block_max<NW>(s_m, weight, l_all, s_l);
const int64_t slot = (int64_t(b) * Hq + h) * P + p;
if (threadIdx.x == 0) {
  part_ml[slot * 2] = m_all;
  part_ml[slot * 2 + 1] = l_all;
}
for (int i = threadIdx.x; i < D; i += NW * 32) {
  float o = 0.0f;
  for (int w = 0; w < NW; w++) o += s_acc[w * D + i] * weight[w];
  part_acc[slot * D + i] = o;
}
