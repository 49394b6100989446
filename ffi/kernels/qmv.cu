// Affine-quantized matrix-vector product for a few rows, out = x @ dequantize(w)^T: the body of an MLX
// `fast::cuda_kernel` named vmlx_qmv (ffi/src/cuda/qmv_cuda.cpp). MLX writes the signature from the call:
//   inputs   x [..., K] of type T (M rows in all, contiguous); w uint32 [N, K * BITS / 32] (MLX's packing: value i
//            of a word at bits BITS * i); scales, biases [N, K / G] of type T; w's shape arrives as w_shape (K is
//            read from it, so that x and out keep the caller's shapes: no reshapes around the kernel);
//   output   out [..., N] of type T (M rows);
//   constants T (dtype), BITS (4 or 8), G (group: 32, 64 or 128), M (rows of x, 1 to 16), NW (warps a block),
//            COLS (output columns a warp), UNROLL (16-byte loads a lane issues for each column before it waits);
//   grid     (32 * NW / KS * blocks, KS, 1) threads in blocks of (32 * NW / KS, KS, 1), KS = 1, 2, 4 or 8: a
//            block's warps are NW / KS column groups (threadIdx.x / 32) times KS slices of K (threadIdx.y). Column
//            group g of block b makes columns (b * NW / KS + g) * COLS + j, j < COLS, for every row of x.
//
// A decode step reads each weight once, so the product is bound by memory, and memory wants tens of KB in flight on
// each SM (H100/H200: 3.4-4.8 TB/s at about a microsecond of latency over 132 SMs). Hence the layout:
// - A lane loads 16 bytes of a weight row at a time (32 4-bit or 16 8-bit values, always inside one group), lane
//   l of a pass on bytes 16 l of the pass's 512 (a warp's load is one coalesced 512-byte run), and it issues
//   COLS x UNROLL such loads (COLS rows, UNROLL passes) before it uses any: the launcher makes that 8, 4 KB a warp.
// - A warp makes COLS columns over the same K slice, so each piece of x it loads (converted to float32 once) serves
//   COLS weight rows. With one column a warp, every warp read all of x through L1: 4 (bfloat16, 4-bit) to 8
//   (float32) bytes of x a weight byte and row of x, more than L1 serves; COLS divides that (the launcher: 8 up to 4
//   rows, 4 up to 8, 2 past, where 2 * COLS * M float32 sums fill the registers).
// - Past 8 rows (a short prefill chunk split into rows) a piece's x is read MG = 8 rows at a time (each column's piece
//   dequantized again for each group), so the 8 x 8 values of x in flight stay what 8 rows hold.
// - When N is small (k/v: 1024 columns), N / COLS warps are too few to keep that much in flight, so KS warps of a
//   block split K between them (pass p of a row is slice p % KS's) and add their sums through shared memory.
// - A lane's x for one load starts VPU * sizeof(T) bytes past its neighbour's (64 at 4 bits in bfloat16, 128 in
//   float32), so if every lane read the same 8-value piece of its load, lanes 2 apart (float32: all lanes) would hit
//   the same L1 banks and the load would take 4 to 8 times its bytes' time. Each lane starts on another piece
//   instead (rot, from the lane), which spreads a warp's x load over the banks; the lane's weight words are rotated
//   to match (up to 8 selects a column and load).
// - Dequantizing is exact and cheap: value i of a 16-bit half sits in place under a float32 whose exponent makes
//   the mantissa's unit 1 (0x4B000000 | (half & (MASK << BITS i)) is 2^23 + q 2^(BITS i)), and one fma by 2^-(BITS i)
//   with -2^(23 - BITS i) gives q: a logic op and an fma a value, then an fma a value and row. A load's VPU values
//   share a scale s and bias b, so each column and row sums d = x . q, each row sums e = sum(x) (once for all
//   columns), and the column adds s d + b e (MLX's form), float32 throughout. A warp reduction (shuffles) per column
//   and row ends it.
constexpr int VPU = 128 / BITS;     // values a 16-byte load
constexpr int PIECES = VPU / 8;     // 8-value pieces a load: 4 (4-bit), 2 (8-bit)
constexpr int PIECE_WORDS = 4 / PIECES;
constexpr int HALF_VALUES = 16 / BITS;
constexpr unsigned MASK = (1u << BITS) - 1u;
constexpr int MG = M < 8 ? M : 8;  // rows of x a piece is read for at once
static_assert(COLS * M <= 32, "one lane a column and row in the slices' sum");
const int K = w_shape[1] * (32 / BITS);
const int N = w_shape[0];
const int lane = threadIdx.x % 32;
const int KS = blockDim.y;
const int col_groups = blockDim.x / 32;
const int n0 = (blockIdx.x * col_groups + threadIdx.x / 32) * COLS;
const int loads = K / VPU;  // 16-byte loads a weight row
const int passes = (loads + 31) / 32;
const int groups = K / G;
const int64_t row_words = K / (32 / BITS);
// Columns past N (the last group) repeat column N - 1 and are not written: no lane leaves before the reductions.
int64_t col[COLS];
#pragma unroll
for (int j = 0; j < COLS; j++) col[j] = min(n0 + j, N - 1);
const bool w_aligned = (reinterpret_cast<uintptr_t>(w) & 15) == 0;  // rows are multiples of 16 bytes
const bool x_aligned = (reinterpret_cast<uintptr_t>(x) & 15) == 0;
const int rot = (lane * VPU * int(sizeof(T)) / 128) % PIECES;  // the piece this lane's x reads start on

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

// Word i of the result is word (i + rot * PIECE_WORDS) % 4 of v: piece s of the result is piece (s + rot) % PIECES.
auto rotate = [&](uint4 v) {
  if constexpr (PIECES == 4) {
    if (rot & 1) v = make_uint4(v.y, v.z, v.w, v.x);
  }
  if (rot & (PIECES / 2)) v = make_uint4(v.z, v.w, v.x, v.y);
  return v;
};

// The 8 values of piece s of a (rotated) 16-byte load, dequantized to float32 integers.
auto dequant8 = [&](const uint4& v, int s, float* q) {
  const uint32_t words[4] = {v.x, v.y, v.z, v.w};
#pragma unroll
  for (int i = 0; i < 8; i++) {
    const uint32_t word = words[s * PIECE_WORDS + i / (32 / BITS)];
    const int at_value = i % (32 / BITS);  // value of the word
    const uint32_t half = at_value < HALF_VALUES ? word : word >> 16;
    const int at = BITS * (at_value % HALF_VALUES);
    const float inv = 1.0f / float(1u << at);
    q[i] = fmaf(__uint_as_float(0x4B000000u | (half & (MASK << at))), inv, -8388608.0f * inv);
  }
};

float acc[COLS][M];
#pragma unroll
for (int j = 0; j < COLS; j++) {
#pragma unroll
  for (int m = 0; m < M; m++) acc[j][m] = 0.0f;
}

for (int p0 = threadIdx.y; p0 < passes; p0 += KS * UNROLL) {
  uint4 wv[UNROLL][COLS];
  float sc[UNROLL][COLS], bi[UNROLL][COLS];
#pragma unroll
  for (int u = 0; u < UNROLL; u++) {
    const int c = 32 * (p0 + KS * u) + lane;
    if (c < loads) {
      const int g = c * VPU / G;
#pragma unroll
      for (int j = 0; j < COLS; j++) {
        const uint32_t* src = w + col[j] * row_words + 4 * c;
        // Streamed once: evict-first, so the weights do not push x out of L1.
        wv[u][j] = w_aligned ? __ldcs(reinterpret_cast<const uint4*>(src))
                             : make_uint4(src[0], src[1], src[2], src[3]);
        sc[u][j] = static_cast<float>(scales[col[j] * groups + g]);
        bi[u][j] = static_cast<float>(biases[col[j] * groups + g]);
      }
    }
  }
#pragma unroll
  for (int u = 0; u < UNROLL; u++) {
    const int c = 32 * (p0 + KS * u) + lane;
    if (c >= loads) break;
    const int k0 = c * VPU;
    float dot[COLS][M], xsum[M];
#pragma unroll
    for (int m = 0; m < M; m++) {
      xsum[m] = 0.0f;
#pragma unroll
      for (int j = 0; j < COLS; j++) dot[j][m] = 0.0f;
    }
#pragma unroll
    for (int j = 0; j < COLS; j++) wv[u][j] = rotate(wv[u][j]);
#pragma unroll
    for (int s = 0; s < PIECES; s++) {
      const int piece = (s + rot) % PIECES;
#pragma unroll
      for (int m0 = 0; m0 < M; m0 += MG) {
        float xf[MG][8];
#pragma unroll
        for (int r = 0; r < MG; r++) {
          if (m0 + r < M) {
            load8(m0 + r, k0 + 8 * piece, xf[r]);
#pragma unroll
            for (int i = 0; i < 8; i++) xsum[m0 + r] += xf[r][i];
          }
        }
#pragma unroll
        for (int j = 0; j < COLS; j++) {
          float q[8];
          dequant8(wv[u][j], s, q);
#pragma unroll
          for (int r = 0; r < MG; r++) {
            if (m0 + r < M) {
#pragma unroll
              for (int i = 0; i < 8; i++) dot[j][m0 + r] = fmaf(xf[r][i], q[i], dot[j][m0 + r]);
            }
          }
        }
      }
    }
#pragma unroll
    for (int j = 0; j < COLS; j++) {
#pragma unroll
      for (int m = 0; m < M; m++) acc[j][m] = fmaf(sc[u][j], dot[j][m], fmaf(bi[u][j], xsum[m], acc[j][m]));
    }
  }
}

#pragma unroll
for (int j = 0; j < COLS; j++) {
#pragma unroll
  for (int m = 0; m < M; m++) {
#pragma unroll
    for (int o = 16; o > 0; o /= 2) acc[j][m] += __shfl_xor_sync(0xffffffffu, acc[j][m], o);
  }
}
if (KS == 1) {
  if (lane == 0) {
#pragma unroll
    for (int j = 0; j < COLS; j++) {
#pragma unroll
      for (int m = 0; m < M; m++) {
        if (n0 + j < N) out[int64_t(m) * N + n0 + j] = static_cast<T>(acc[j][m]);
      }
    }
  }
} else {
  // Slice y's sums of column group g in part[y * col_groups + g]; slice 0's lane j * M + m adds column j, row m.
  __shared__ float part[NW][COLS * M];
  const int warp = threadIdx.y * col_groups + threadIdx.x / 32;
  if (lane == 0) {
#pragma unroll
    for (int j = 0; j < COLS; j++) {
#pragma unroll
      for (int m = 0; m < M; m++) part[warp][j * M + m] = acc[j][m];
    }
  }
  __syncthreads();
  if (threadIdx.y == 0 && lane < COLS * M) {
    const int j = lane / M, m = lane % M;
    float total = 0.0f;
    for (int y = 0; y < KS; y++) total += part[y * col_groups + threadIdx.x / 32][lane];
    if (n0 + j < N) out[int64_t(m) * N + n0 + j] = static_cast<T>(total);
  }
}
