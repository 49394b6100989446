// Paged attention, decode step, serial over a row's keys: the body of an MLX `fast::cuda_kernel` named
// vmlx_paged_attention_serial, the CUDA twin of metal/paged_attention.metal (same algorithm, same names; a warp
// plays the simdgroup). CUDA's default: checked on an H100 (round 2, session 3); paged_attention.cu and the split
// pair are the faster design, taken under VLLM_MLX_PAGED_KERNEL=split until they are checked on a GPU too.
// MLX writes the signature from the call (ffi/src/paged_kernel.cpp), so this file holds the body alone:
//   inputs   q [B, Hq, 1, D], k_pool and v_pool [num_blocks, block_size, Hkv, D] (all of type T),
//            block_tables int32 [B, max_blocks], seq_lens int32 [B], after (a token ordering the kernel after the
//            pools' write; not read); their shapes arrive as q_shape, k_pool_shape, block_tables_shape;
//   output   out [B, Hq, 1, D] of type T;
//   constants T (dtype), D (head dim), NSG (warps per block), SCALE_BITS and SOFTCAP_BITS (the floats' bits; softcap
//            0: none), WINDOW (sliding window, 0: none): constants, so that a call makes no arrays from host memory;
//   grid (NSG * 32, Hq, B) threads in blocks of (NSG * 32, 1, 1): one block per (row, query head).
// Warp g visits keys start + g, start + g + NSG, ... of its row through the block table. Lane j holds dims
// j, j + 32, ... of the query, of each key and value row and of its accumulator; a shuffle sum gives a score.
// Each warp runs an online softmax (running max m, running sum l, accumulator acc in float32); the NSG partial
// states are merged through shared memory, then written in T. The kv head of query head h is h / (Hq / Hkv).
constexpr int DPL = (D + 31) / 32;
constexpr float NEG_INF = -cuda::std::numeric_limits<float>::infinity();
__shared__ float part_m[NSG];
__shared__ float part_l[NSG];
__shared__ float part_acc[NSG * D];

const int b = blockIdx.z;
const int h = blockIdx.y;
const int sg = threadIdx.x / 32;
const int lane = threadIdx.x % 32;
const int tid = threadIdx.x;

const int Hq = q_shape[1];
const int block_size = k_pool_shape[1];
const int Hkv = k_pool_shape[2];
const int max_blocks = block_tables_shape[1];
const int kv_head = h / (Hq / Hkv);
const float scale = __int_as_float(SCALE_BITS);
const float softcap = __int_as_float(SOFTCAP_BITS);
const int len = seq_lens[b];
const int start = WINDOW > 0 && len > WINDOW ? len - WINDOW : 0;
const int64_t q_row = (int64_t(b) * Hq + h) * D;

float qv[DPL];
float acc[DPL];
for (int j = 0; j < DPL; j++) {
  const int i = lane + 32 * j;
  qv[j] = i < D ? static_cast<float>(q[q_row + i]) * scale : 0.0f;
  acc[j] = 0.0f;
}
float m = NEG_INF;
float l = 0.0f;
for (int t = start + sg; t < len; t += NSG) {
  const int64_t block = block_tables[int64_t(b) * max_blocks + t / block_size];
  const int64_t kv_row = ((block * block_size + t % block_size) * Hkv + kv_head) * D;
  float partial = 0.0f;
  for (int j = 0; j < DPL; j++) {
    const int i = lane + 32 * j;
    if (i < D) partial += qv[j] * static_cast<float>(k_pool[kv_row + i]);
  }
  for (int offset = 16; offset > 0; offset /= 2) partial += __shfl_xor_sync(0xffffffffu, partial, offset);
  float score = partial;
  if constexpr (SOFTCAP_BITS != 0) score = softcap * tanhf(score / softcap);
  const float m_new = fmaxf(m, score);
  const float correction = expf(m - m_new);
  const float p = expf(score - m_new);
  l = l * correction + p;
  for (int j = 0; j < DPL; j++) {
    const int i = lane + 32 * j;
    if (i < D) acc[j] = acc[j] * correction + p * static_cast<float>(v_pool[kv_row + i]);
  }
  m = m_new;
}

if (lane == 0) {
  part_m[sg] = m;
  part_l[sg] = l;
}
for (int j = 0; j < DPL; j++) {
  const int i = lane + 32 * j;
  if (i < D) part_acc[sg * D + i] = acc[j];
}
__syncthreads();

float m_all = NEG_INF;
for (int g = 0; g < NSG; g++) m_all = fmaxf(m_all, part_m[g]);
float weight[NSG];
float l_all = 0.0f;
for (int g = 0; g < NSG; g++) {
  weight[g] = part_m[g] == NEG_INF ? 0.0f : expf(part_m[g] - m_all);
  l_all += part_l[g] * weight[g];
}
for (int i = tid; i < D; i += NSG * 32) {
  float o = 0.0f;
  for (int g = 0; g < NSG; g++) o += part_acc[g * D + i] * weight[g];
  out[q_row + i] = static_cast<T>(l_all > 0.0f ? o / l_all : 0.0f);
}
