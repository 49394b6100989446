// The CPU affine quantized matmul (vmlx_quantized_matmul's kernel), internal.
//   out[M, N] = x[M, K] @ dequantize(w[N, K * bits / 32], scales[N, K / group], biases[N, K / group])^T
// with w[n, k] = scales[n, k / group] * q[n, k] + biases[n, k / group] and q the k-th `bits`-bit field of row n
// (little end first). Every sum runs in float32.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "cpu_dtype.h"

namespace vmlx::qmm_cpu {

using Dtype = CpuDtype;
enum class Isa { scalar, avx2, avx512, avx512bf16, amx };

struct Problem {
  const void* x;  // [M, K], row-major
  Dtype x_dtype;
  const uint32_t* w;  // [N, K * bits / 32], row-major
  const void* scales;  // [N, K / group], row-major
  const void* biases;  // same shape and dtype as scales
  Dtype s_dtype;
  void* out;  // [M, N], row-major
  Dtype out_dtype;
  int M, N, K, bits, group;
};

// Shapes the kernel serves: bits 4 or 8, group 32, 64 or 128, K a positive multiple of the group.
bool supports(int bits, int group, int K);

// Computes the product on the calling thread and the pool. Must not throw (it runs inside an MLX CPU task).
void run(const Problem& p);

// The instruction set run() uses: the best this CPU has, unless forced with set_isa() or VMLX_QMM_ISA (a name that
// isa_named() reads, where this CPU has it).
Isa active_isa();
const char* isa_name(Isa isa);
// The instruction set of that name ("scalar", "avx2", "avx512", "avx512bf16", "amx"; "auto": best_isa()), or nullopt
// for another name.
std::optional<Isa> isa_named(const std::string& name);
// false when the CPU (or this build) lacks `isa`.
bool set_isa(Isa isa);
// The best instruction set available on this CPU in this build.
Isa best_isa();

// --- Per-instruction-set building blocks, used by the driver (qmm_cpu.cpp). ---

// Rows of x in one GEMV pass (decode); larger M goes through the packed GEMM path.
constexpr int GEMV_MAX_ROWS = 4;
// The GEMM micro-tile: MR rows of x by NR output columns (the AVX-512 kernel's tile is NR_WIDE columns wide).
constexpr int MR = 6;
constexpr int NR = 16;
constexpr int NR_WIDE = 32;

struct GemvArgs {
  const Problem* p;
  int rows;            // 1 .. GEMV_MAX_ROWS
  const float* x;      // [rows, K] float32
  const float* xsum;   // [rows, K / group]: sums of x over each group
  float* res;          // [rows, N] float32 (row stride N)
};

struct Kernels {
  // res[m, n] for n in [n0, n1).
  void (*gemv)(const GemvArgs& a, int n0, int n1);
  // Row n of the dequantized weight, [K] float32.
  void (*dequant_row)(const Problem& p, int n, float* dst);
  // c[MR][nr] = a^T b over K, a packed [K][MR], b packed [K][nr] (float32).
  void (*micro)(const float* a, const float* b, int K, float* c);
  // Conversions of `count` values between a dtype and float32.
  void (*to_float)(const void* src, Dtype dt, float* dst, int count);
  void (*from_float)(const float* src, Dtype dt, void* dst, int count);
  // The micro-kernel's tile width: NR, or NR_WIDE.
  int nr = NR;
  // A whole product of more than GEMV_MAX_ROWS rows, in place of the packed micro-kernel path (nullptr: that path).
  void (*gemm)(const Problem& p) = nullptr;
};

const Kernels& scalar_kernels();
// AVX2 + FMA + F16C kernels (x86_64 builds only; nullptr elsewhere).
const Kernels* avx2_kernels();
// The AVX2 kernels with an AVX-512 F/BW/VL micro-kernel (a 6 x NR_WIDE tile; x86_64 builds only).
const Kernels* avx512_kernels();
// The AVX-512 kernels with an AVX512-BF16 GEMV for 4- and 8-bit weights (qmm_cpu_bf16.cpp); chosen only by name.
const Kernels* avx512bf16_kernels();
// The AVX-512 kernels with an AMX-BF16 GEMM (qmm_cpu_amx.cpp; Linux x86_64 with AVX512-BF16 and AMX, where the
// kernel grants the tile state).
const Kernels* amx_kernels();

}  // namespace vmlx::qmm_cpu
