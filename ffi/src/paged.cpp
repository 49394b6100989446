// Paged attention's C entry: validates shapes, then runs the reference path, the backend's kernel or the CPU kernel.
#include <stdexcept>
#include <string>

#include "ops_nn_util.h"
#include "paged.h"

using namespace vmlx;

namespace {

#define REQUIRE(ok, msg) VMLX_REQUIRE("paged_attention", ok, msg)

void validate(const paged::Args& a) {
  const auto &q = a.queries, &k = a.k_pool, &v = a.v_pool;
  REQUIRE(q.ndim() == 4, "queries must be [B, Hq, L, D], got " + shape_str(q));
  REQUIRE(k.ndim() == 4, "k_pool must be [num_blocks, block_size, Hkv, D], got " + shape_str(k));
  REQUIRE(v.shape() == k.shape(), "v_pool " + shape_str(v) + " must match k_pool " + shape_str(k));
  REQUIRE(k.shape(3) == q.shape(3), "head dim of k_pool " + shape_str(k) + " differs from queries " + shape_str(q));
  REQUIRE(k.shape(2) > 0 && q.shape(1) % k.shape(2) == 0,
          "query heads (" + std::to_string(q.shape(1)) + ") must be a multiple of kv heads (" +
              std::to_string(k.shape(2)) + ")");
  int B = q.shape(0);
  REQUIRE(a.block_tables.ndim() == 2 && a.block_tables.shape(0) == B,
          "block_tables must be [B, max_blocks] with B = " + std::to_string(B) + ", got " + shape_str(a.block_tables));
  REQUIRE(a.seq_lens.ndim() == 1 && a.seq_lens.shape(0) == B,
          "seq_lens must be [B] with B = " + std::to_string(B) + ", got " + shape_str(a.seq_lens));
  REQUIRE(!a.window || *a.window > 0, "sliding_window must be positive");
  REQUIRE(!a.softcap || *a.softcap > 0.0f, "softcap must be positive");
}

mx::array as_index(const mx::array& x, const char* name, const mx::Stream& s) {
  REQUIRE(mx::issubdtype(x.dtype(), mx::integer), std::string(name) + " must be an integer array");
  return mx::astype(x, mx::int32, s);
}

mx::array run(const paged::Args& a, const std::string& path, const mx::Stream& s) {
  if (path == "reference") return paged::reference(a, s);
  if (path == "kernel") return paged::kernel(a, s);
  if (path == "cpu") return paged::cpu_kernel(a, s);
  REQUIRE(path == "auto", "path must be \"auto\", \"reference\", \"kernel\" or \"cpu\", got \"" + path + "\"");
  if (paged::kernel_supports(a, s)) return paged::kernel(a, s);
  return paged::cpu_kernel_supports(a, s) ? paged::cpu_kernel(a, s) : paged::reference(a, s);
}

}  // namespace

namespace vmlx::paged {
mx::array attention(const mx::array& queries, const mx::array& k_pool, const mx::array& v_pool,
                    const mx::array& block_tables, const mx::array& seq_lens, float scale, std::optional<int> window,
                    std::optional<float> softcap, const std::string& path, const mx::Stream& s,
                    bool one_sequence) {
  Args a{queries,
         k_pool,
         v_pool,
         as_index(block_tables, "block_tables", s),
         as_index(seq_lens, "seq_lens", s),
         scale,
         window,
         softcap,
         one_sequence};
  validate(a);
  return run(a, path, s);
}
}  // namespace vmlx::paged

extern "C" {

int vmlx_paged_attention(mlx_array* res, const mlx_array queries, const mlx_array k_pool, const mlx_array v_pool,
                         const mlx_array block_tables, const mlx_array seq_lens, float scale,
                         mlx_optional_int sliding_window, mlx_optional_float softcap, const char* path,
                         int flags, const mlx_stream s) {
  VMLX_TRY(assign(res, paged::attention(arr(queries), arr(k_pool), arr(v_pool), arr(block_tables), arr(seq_lens),
                                        scale, opt_int(sliding_window), opt_float(softcap), str_or(path, "auto"),
                                        stream(s), (flags & VMLX_PAGED_ONE_SEQUENCE) != 0)))
}

int vmlx_paged_attention_has_kernel(void) {
#if defined(VMLX_WITH_METAL) || defined(VMLX_WITH_CUDA)
  return 1;
#else
  return 0;
#endif
}

}  // extern "C"
