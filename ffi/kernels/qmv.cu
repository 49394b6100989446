// Affine-quantized matrix-vector product for a few rows, out = x @ dequantize(w)^T: the body of an MLX
// `fast::cuda_kernel` named vmlx_qmv (ffi/src/cuda/qmv_cuda.cpp). MLX writes the signature from the call:
//   inputs   x [M, K] of type T; w uint32 [N, K * BITS / 32] (MLX's packing: value i of a word at bits
//            BITS * i); scales, biases [N, K / G] of type T; their shapes arrive as x_shape and w_shape;
//   output   out [M, N] of type T;
//   constants T (dtype), BITS (4 or 8), G (group: 32, 64 or 128), M (rows of x, 1 to 8), NW (warps a block),
//            UNROLL (16-byte weight loads each lane has in flight);
//   grid (32 * NW * ceil(N / NW), 1, 1) threads in blocks of (32 * NW, 1, 1): warp j of block b makes output
//   column n = b * NW + j for every row of x.
// A decode step reads each weight once, so the product is bound by memory: lanes load 16 bytes of one weight row
// at a time (32 4-bit or 16 8-bit values, always inside one group), UNROLL loads at once per lane, consecutive
// lanes on consecutive bytes. Each value is dequantized (scale * q + bias, float32) and multiplied into M float32
// sums, which a shuffle reduction adds across the warp. x is read through L1 (every warp reads all of it).
constexpr int VPU = 128 / BITS;  // values per 16-byte load
constexpr unsigned MASK = (1u << BITS) - 1u;
const int K = x_shape[1];
const int N = w_shape[0];
const int lane = threadIdx.x % 32;
const int n = blockIdx.x * NW + threadIdx.x / 32;
if (n >= N) return;
const int loads = K / VPU;  // 16-byte loads a weight row
const int groups = K / G;
const uint32_t* wrow = w + int64_t(n) * (K / (32 / BITS));
const bool w_aligned = (reinterpret_cast<uintptr_t>(wrow) & 15) == 0;
const bool x_aligned = (reinterpret_cast<uintptr_t>(x) & 15) == 0;

// x[m, k0 .. k0 + 7] as float32.
auto load8 = [&](int m, int k0, float* dst) {
  const T* p = x + int64_t(m) * K + k0;
  if (x_aligned) {
    if constexpr (sizeof(T) == 4) {
      const float4 a = *reinterpret_cast<const float4*>(p);
      const float4 b = *reinterpret_cast<const float4*>(p + 4);
      dst[0] = a.x; dst[1] = a.y; dst[2] = a.z; dst[3] = a.w;
      dst[4] = b.x; dst[5] = b.y; dst[6] = b.z; dst[7] = b.w;
    } else {
      const uint4 raw = *reinterpret_cast<const uint4*>(p);
      const uint32_t words[4] = {raw.x, raw.y, raw.z, raw.w};
#pragma unroll
      for (int i = 0; i < 4; i++) {
        const T lo = *reinterpret_cast<const T*>(&words[i]);
        const T hi = *(reinterpret_cast<const T*>(&words[i]) + 1);
        dst[2 * i] = static_cast<float>(lo);
        dst[2 * i + 1] = static_cast<float>(hi);
      }
    }
  } else {
#pragma unroll
    for (int i = 0; i < 8; i++) dst[i] = static_cast<float>(p[i]);
  }
};

float acc[M];
#pragma unroll
for (int m = 0; m < M; m++) acc[m] = 0.0f;

for (int c0 = lane; c0 < loads; c0 += 32 * UNROLL) {
  uint4 wv[UNROLL];
#pragma unroll
  for (int u = 0; u < UNROLL; u++) {
    const int c = c0 + 32 * u;
    if (c < loads) {
      if (w_aligned) {
        wv[u] = *reinterpret_cast<const uint4*>(wrow + 4 * c);
      } else {
        wv[u] = make_uint4(wrow[4 * c], wrow[4 * c + 1], wrow[4 * c + 2], wrow[4 * c + 3]);
      }
    }
  }
#pragma unroll
  for (int u = 0; u < UNROLL; u++) {
    const int c = c0 + 32 * u;
    if (c >= loads) break;
    const int k0 = c * VPU;
    const int g = int64_t(n) * groups + k0 / G;
    const float scale = static_cast<float>(scales[g]);
    const float bias = static_cast<float>(biases[g]);
    const uint32_t words[4] = {wv[u].x, wv[u].y, wv[u].z, wv[u].w};
    // 8 values at a time: one 8-value slice of x per row, the matching 8 dequantized weights.
#pragma unroll
    for (int s = 0; s < VPU / 8; s++) {
      float wf[8];
#pragma unroll
      for (int i = 0; i < 8; i++) {
        const int bit = (s * 8 + i) * BITS;  // bit offset inside the 128-bit load
        const unsigned q = (words[bit / 32] >> (bit % 32)) & MASK;
        // q as a float without an int conversion: 2^23 + q has q in its low mantissa bits, then subtract 2^23.
        const float qf = __uint_as_float(0x4B000000u | q) - 8388608.0f;
        wf[i] = fmaf(scale, qf, bias);
      }
#pragma unroll
      for (int m = 0; m < M; m++) {
        float xf[8];
        load8(m, k0 + s * 8, xf);
#pragma unroll
        for (int i = 0; i < 8; i++) acc[m] = fmaf(wf[i], xf[i], acc[m]);
      }
    }
  }
}

#pragma unroll
for (int m = 0; m < M; m++) {
  float v = acc[m];
#pragma unroll
  for (int o = 16; o > 0; o /= 2) v += __shfl_xor_sync(0xffffffffu, v, o);
  if (lane == 0) out[int64_t(m) * N + n] = static_cast<T>(v);
}
