// Paged attention, decode step, the merge after paged_attention_split.cu: the body of an MLX `fast::cuda_kernel`
// named vmlx_paged_attention_merge. Thread i of block (h, b) combines dim i of the P partition states of query
// head h of row b, weighting each by exp(its max - the common max), and writes out in T.
//   inputs   part_ml float32 [B, Hq, P, 2], part_acc float32 [B, Hq, P, D];
//   output   out [B, Hq, 1, D] of type T;
//   constants T (dtype), D (head dim);
//   grid (D, Hq, B) threads in blocks of (D, 1, 1).
constexpr float NEG_INF = -cuda::std::numeric_limits<float>::infinity();
const int b = blockIdx.z;
const int h = blockIdx.y;
const int i = threadIdx.x;
const int Hq = part_ml_shape[1];
const int P = part_ml_shape[2];
const int64_t head = int64_t(b) * Hq + h;

float m_all = NEG_INF;
for (int p = 0; p < P; p++) m_all = fmaxf(m_all, part_ml[(head * P + p) * 2]);
float l_all = 0.0f;
float o = 0.0f;
for (int p = 0; p < P; p++) {
  const float m = part_ml[(head * P + p) * 2];
  if (m == NEG_INF) continue;
  const float w = expf(m - m_all);
  l_all += part_ml[(head * P + p) * 2 + 1] * w;
  o += part_acc[(head * P + p) * D + i] * w;
}
out[head * D + i] = static_cast<T>(l_all > 0.0f ? o / l_all : 0.0f);
