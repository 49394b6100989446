// Paged attention's CPU kernel: the attention kernel of attention_cpu_tile.cpp (float32, float16, bfloat16) reading
// keys and values straight from the pools through the block tables, with per-row lengths, causal queries (prefill
// chunks and decode alike) and a sliding window. MLX's own path gathers the rows and runs masked attention as matmuls
// through the wheel's reference BLAS; this one never builds the gathered rows or the mask.
#include <mlx/backend/cpu/encoder.h>
#include <mlx/primitives.h>

#include <cstring>
#include <stdexcept>

#include "attention_cpu_tile.h"
#include "cache_write.h"
#include "paged.h"
#include "plain_input.h"

namespace vmlx::paged {
namespace {

class CpuPagedAttention : public mx::UnaryPrimitive {
 public:
  CpuPagedAttention(mx::Stream s, float scale, int window) : mx::UnaryPrimitive(s), scale_(scale), window_(window) {}

  // in: queries [B, Hq, L, D], k_pool, v_pool [num_blocks, block_size, Hkv, D], block_tables [B, max_blocks],
  // seq_lens [B]; all row-contiguous; queries and pools of one float dtype, tables and lengths int32.
  void eval_cpu(const std::vector<mx::array>& in, mx::array& out) override {
    const auto &q = in[0], &k = in[1], &v = in[2], &tables = in[3], &lens = in[4];
    auto& encoder = cpu_output(in, out, stream());
    attention_cpu::Problem p{};
    p.dtype = *cpu_dtype(q.dtype());
    p.q = q.data<void>(), p.out = out.data<void>(), p.k = k.data<void>(), p.v = v.data<void>();
    p.block_tables = tables.data<int32_t>(), p.seq_lens = lens.data<int32_t>();
    p.block_size = k.shape(1), p.num_blocks = k.shape(0);
    p.B = q.shape(0), p.Hq = q.shape(1), p.Hkv = k.shape(2), p.L = q.shape(2), p.D = q.shape(3);
    p.S = tables.shape(1) * p.block_size;
    p.scale = scale_, p.causal = true, p.window = window_;
    encoder.dispatch([p]() { attention_cpu::run(p); });
  }

  void eval_gpu(const std::vector<mx::array>&, mx::array&) override {
    throw std::runtime_error("[paged_attention] the CPU kernel's primitive ran on a GPU stream");
  }

  const char* name() const override { return "VmlxCpuPagedAttention"; }

  bool is_equivalent(const mx::Primitive& other) const override {
    if (std::strcmp(other.name(), name()) != 0) return false;
    const auto& o = static_cast<const CpuPagedAttention&>(other);
    return o.scale_ == scale_ && o.window_ == window_;
  }

 private:
  float scale_;
  int window_;  // 0: none
};

// Why the CPU kernel does not serve `a` on `s`; empty when it does.
std::string cpu_unsupported_reason(const Args& a, const mx::Stream& s) {
  if (s.device != mx::Device::cpu) return "it runs on a CPU stream";
  if (!cpu_dtype(a.queries.dtype()) || a.k_pool.dtype() != a.queries.dtype() ||
      a.v_pool.dtype() != a.queries.dtype()) {
    return "it serves float32, float16 or bfloat16 queries and pools of one dtype";
  }
  if (a.softcap) return "it does not soft-cap";
  if (a.k_pool.shape(0) == 0 || a.k_pool.shape(1) == 0) return "the pool has no blocks";
  return "";
}

}  // namespace

bool cpu_kernel_supports(const Args& a, const mx::Stream& s) { return cpu_unsupported_reason(a, s).empty(); }

mx::array cpu_kernel(const Args& a, const mx::Stream& s) {
  auto reason = cpu_unsupported_reason(a, s);
  if (!reason.empty()) throw std::invalid_argument("[paged_attention] cpu path: " + reason);
  auto tables = cache_write::order_after_write(a.block_tables, a.k_pool, s);
  tables = cache_write::order_after_write(tables, a.v_pool, s);
  return mx::array(a.queries.shape(), a.queries.dtype(),
                   std::make_shared<CpuPagedAttention>(s, a.scale, a.window.value_or(0)),
                   {mx::contiguous(a.queries, false, s), mx::contiguous(a.k_pool, false, s),
                    mx::contiguous(a.v_pool, false, s), mx::contiguous(tables, false, s),
                    mx::contiguous(a.seq_lens, false, s)});
}

}  // namespace vmlx::paged
