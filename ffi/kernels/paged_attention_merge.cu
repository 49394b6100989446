// Paged attention, the merge after paged_attention_split.cu and paged_attention_chunk.cu: the body of an MLX
// `fast::cuda_kernel` named vmlx_paged_attention_merge. Block (h, b) combines the P partition states of query head h
// of row b, weighting each by exp(its max - the common max), and writes out in T; thread i makes dim i.
//   inputs   part_ml float32 [B, Hq, P, 2], part_acc float32 [B, Hq, P, D];
//   output   out [B, Hq, 1, D] of type T;
//   constants T (dtype), D (head dim);
//   grid (D, Hq, B) threads in blocks of (D, 1, 1).
// The threads read the partitions' maxima and sums together (D at a time) and reduce them through shared memory, so
// that a partition's state is read once by one thread and the loads of every dim's sum over partitions are
// independent of each other.
constexpr float NEG_INF = -cuda::std::numeric_limits<float>::infinity();
__shared__ float s_w[D];  // a reduction's values, then the weights of D partitions
const int b = blockIdx.z;
const int h = blockIdx.y;
const int i = threadIdx.x;
const int Hq = part_ml_shape[1];
const int P = part_ml_shape[2];
const int64_t head = int64_t(b) * Hq + h;
const float* ml = part_ml + head * P * 2;
const float* acc = part_acc + head * P * D;

// s_w[0] after folding s_w[0 .. D) with `op` (every thread has written its value).
auto fold = [&](auto op) {
  __syncthreads();
  for (int n = D; n > 1;) {
    const int half = (n + 1) / 2;
    if (i < n - half) s_w[i] = op(s_w[i], s_w[i + half]);
    __syncthreads();
    n = half;
  }
  const float r = s_w[0];
  __syncthreads();
  return r;
};

float m_part = NEG_INF;
for (int p = i; p < P; p += D) m_part = fmaxf(m_part, ml[p * 2]);
s_w[i] = m_part;
const float m_all = fold([](float x, float y) { return fmaxf(x, y); });

float l_part = 0.0f;
float o = 0.0f;
for (int p0 = 0; p0 < P; p0 += D) {
  float w = 0.0f;
  if (p0 + i < P) {
    const float m = ml[(p0 + i) * 2];
    if (m != NEG_INF) {
      w = expf(m - m_all);
      l_part += ml[(p0 + i) * 2 + 1] * w;
    }
  }
  s_w[i] = w;
  __syncthreads();
  const int n = min(D, P - p0);
#pragma unroll 8
  for (int k = 0; k < n; k++) {
    const float wk = s_w[k];
    const float a = acc[int64_t(p0 + k) * D + i];
    o += wk != 0.0f ? a * wk : 0.0f;  // an empty partition adds nothing
  }
  __syncthreads();
}
s_w[i] = l_part;
const float l_all = fold([](float x, float y) { return x + y; });
out[head * D + i] = static_cast<T>(l_all > 0.0f ? o / l_all : 0.0f);
