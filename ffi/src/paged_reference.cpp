// Paged attention from MLX ops: gather each row's blocks through its block table, mask by position, attend.
#include <limits>

#include "cache_write.h"
#include "paged.h"

namespace vmlx::paged {
namespace {

// Keys of row b laid out contiguously: [B, Hkv, max_blocks * block_size, D].
mx::array gather_keys(const mx::array& pool, const mx::array& block_tables, const mx::Stream& s) {
  int B = block_tables.shape(0);
  int width = block_tables.shape(1) * pool.shape(1);
  auto blocks = mx::take(pool, block_tables, 0, s);  // [B, max_blocks, block_size, Hkv, D]
  auto flat = mx::reshape(blocks, {B, width, pool.shape(2), pool.shape(3)}, s);
  return mx::transpose(flat, {0, 2, 1, 3}, s);
}

// Boolean [B, 1, L, T]: query i of row b (at position seq_lens[b] - L + i) sees key j when j <= its position
// and, with a window, j > position - window. Keys at or past seq_lens[b] are therefore never seen.
mx::array visible_keys(const Args& a, int L, int T, const mx::Stream& s) {
  int B = a.seq_lens.shape(0);
  auto lens = mx::reshape(a.seq_lens, {B, 1, 1, 1}, s);
  auto offsets = mx::reshape(mx::arange(-L, 0, mx::int32, s), {1, 1, L, 1}, s);
  auto qpos = mx::add(lens, offsets, s);  // [B, 1, L, 1]
  auto kpos = mx::reshape(mx::arange(0, T, mx::int32, s), {1, 1, 1, T}, s);
  auto mask = mx::less_equal(kpos, qpos, s);
  if (a.window) {
    auto lo = mx::subtract(qpos, mx::array(*a.window, mx::int32), s);
    mask = mx::logical_and(mask, mx::greater(kpos, lo, s), s);
  }
  return mask;
}

// softmax(softcap * tanh(q k^T * scale / softcap) masked) v, grouped-query heads folded as [B, Hkv, rep, L, *].
mx::array softcapped(const Args& a, const mx::array& k, const mx::array& v, const mx::array& mask,
                     const mx::Stream& s) {
  const auto& q = a.queries;
  int B = q.shape(0), Hq = q.shape(1), L = q.shape(2), D = q.shape(3), Hkv = k.shape(1);
  auto q5 = mx::reshape(mx::multiply(q, mx::array(a.scale, q.dtype()), s), {B, Hkv, Hq / Hkv, L, D}, s);
  auto k5 = mx::expand_dims(k, 2, s);
  auto v5 = mx::expand_dims(v, 2, s);
  auto scores = mx::matmul(q5, mx::swapaxes(k5, -1, -2, s), s);  // [B, Hkv, rep, L, T]
  auto cap = mx::array(*a.softcap, scores.dtype());
  scores = mx::multiply(mx::tanh(mx::divide(scores, cap, s), s), cap, s);
  auto lowest = mx::array(-std::numeric_limits<float>::infinity(), scores.dtype());
  scores = mx::where(mx::expand_dims(mask, 2, s), scores, lowest, s);
  auto probs = mx::softmax(scores, std::vector<int>{-1}, true, s);
  return mx::reshape(mx::matmul(probs, v5, s), {B, Hq, L, D}, s);
}

}  // namespace

mx::array reference(const Args& a, const mx::Stream& s) {
  // A pool written in this graph by the GPU write kernel: gather through block tables that depend on the write
  // (adding 0 times its token), so the gather is ordered after it (see cache_write.h).
  auto tables = cache_write::order_after_write(a.block_tables, a.k_pool, s);
  tables = cache_write::order_after_write(tables, a.v_pool, s);
  auto k = gather_keys(a.k_pool, tables, s);
  auto v = gather_keys(a.v_pool, tables, s);
  auto mask = visible_keys(a, a.queries.shape(2), k.shape(2), s);
  if (a.softcap) return softcapped(a, k, v, mask, s);
  return mx::fast::scaled_dot_product_attention(a.queries, k, v, a.scale, "", mask, std::nullopt, false, s);
}

}  // namespace vmlx::paged
