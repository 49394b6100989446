// The paged-attention decode kernel for MLX's Metal backend, from metal/paged_attention.metal (embedded at
// configure time into paged_kernel_source.h): one threadgroup of 32 x simdgroups_for(keys) threads per (row,
// query head). (The CUDA build splits long rows over the keys instead: src/cuda/paged_cuda.cpp.)
#include "../cache_write.h"
#include "../paged.h"
#include "paged_kernel_source.h"

namespace vmlx::paged {

namespace {

const mx::fast::CustomKernelFunction& decode_kernel() {
  static const mx::fast::CustomKernelFunction k = mx::fast::metal_kernel(
      "vmlx_paged_attention_decode", {"q", "k_pool", "v_pool", "block_tables", "seq_lens", "params", "window", "after"},
      {"out"}, PAGED_KERNEL_SOURCE, /*header=*/"", /*ensure_row_contiguous=*/true, /*atomic_outputs=*/false);
  return k;
}

// Simdgroups per threadgroup: each walks its share of a row's keys one after another, so a long context takes
// more of them (a row's 2,048 keys are 512 serial steps for 4 simdgroups, 128 for 16). By the keys the block
// tables reach, a bound known on the host: 4 below 1,024, 8 below 2,048, else 16 (three compiled variants).
int simdgroups_for(int max_keys) { return max_keys < 1024 ? 4 : max_keys < 2048 ? 8 : 16; }

}  // namespace

mx::array launch_decode(const Args& a, const mx::Stream& s) {
  const auto& q = a.queries;
  int B = q.shape(0), Hq = q.shape(1), D = q.shape(3);
  int nsg = simdgroups_for(a.block_tables.shape(1) * a.k_pool.shape(1));
  int threads = 32 * nsg;
  mx::array params({a.scale, a.softcap.value_or(0.0f)});  // float32 [2]: scale, softcap (0: none)
  mx::array window({a.window.value_or(0)}, mx::int32);     // int32 [1]: sliding window (0: none)
  // `after`: the pools' write token when they come from this step's write (orders the kernel after it), else
  // any small array already among the inputs. The kernel does not read it.
  auto after = cache_write::write_token(a.k_pool).value_or(a.seq_lens);
  auto outs = decode_kernel()({q, a.k_pool, a.v_pool, a.block_tables, a.seq_lens, params, window, after}, {q.shape()},
                              {q.dtype()}, {threads, Hq, B}, {threads, 1, 1},
                              {{"T", q.dtype()}, {"D", D}, {"NSG", nsg}}, std::nullopt, false, s);
  return outs[0];
}

}  // namespace vmlx::paged
