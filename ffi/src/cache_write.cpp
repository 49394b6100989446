// vmlx_reshape_and_cache: writes a step's keys and values into the paged KV pools without copying the pools.
//
// MLX's own scatter writes in place only when it holds the pool's last reference, which a pipelined engine
// (step n+1 queued while step n still reads the pool) never gives it: it would copy the whole pool. These writes
// go through the pool's buffer whatever else holds it; the results share that buffer and depend on the write,
// so every later reader that takes them is ordered after it. Arrays that share the buffer see the new rows.
//
// CPU streams: a primitive (KvCacheWrite) whose outputs share the pools' buffers and whose task copies the rows.
// GPU streams: the backend's JIT kernel (src/cuda, src/metal) writes the pools and returns a one-element token;
// mx::depends makes the returned pool views wait for it. MLX's GPU backends order kernels by the arrays they
// declare, so a GPU kernel reading a view must also take the token (write_token; paged attention does), or
// read it in a later evaluation.
#include <cstring>
#include <stdexcept>
#include <string>

#include <mlx/backend/cpu/encoder.h>
#include <mlx/primitives.h>

#include "cache_write.h"
#include "plain_input.h"

using namespace vmlx;

namespace {

#define REQUIRE(ok, msg) VMLX_REQUIRE("reshape_and_cache", ok, msg)

// Copies row t of `rows` to row slot[t] of `pool`; slots outside the pool are skipped (a task cannot throw).
void copy_rows(char* pool, const char* rows, const int32_t* slots, int64_t num_tokens, int64_t num_slots,
               size_t row_bytes) {
  for (int64_t t = 0; t < num_tokens; ++t) {
    int64_t slot = slots[t];
    if (slot < 0 || slot >= num_slots) continue;
    std::memcpy(pool + slot * row_bytes, rows + t * row_bytes, row_bytes);
  }
}

class KvCacheWrite : public mx::Primitive {
 public:
  explicit KvCacheWrite(mx::Stream s) : mx::Primitive(s) {}

  // inputs: k_pool, v_pool, k, v, slot_mapping; outputs: k_pool', v_pool'.
  void eval_cpu(const std::vector<mx::array>& in, std::vector<mx::array>& out) override {
    auto& encoder = mx::cpu::get_command_encoder(stream());
    const auto& slots = in[4];
    for (int i = 0; i < 2; ++i) {
      const auto& pool = in[i];
      const auto& rows = in[2 + i];
      auto& dst = out[i];
      // reshape_and_cache passes the pools through mx::contiguous, which shares a plain buffer and copies anything
      // else, so a pool that reaches here is plain memory.
      if (!plain(pool)) {
        throw std::runtime_error("[reshape_and_cache] pool is not a row-contiguous buffer");
      }
      dst.copy_shared_buffer(pool);
      encoder.set_input_array(rows);
      encoder.set_input_array(slots);
      encoder.set_output_array(dst);
      int64_t num_tokens = rows.shape(0);
      size_t row_bytes = rows.nbytes() / (num_tokens > 0 ? num_tokens : 1);
      int64_t num_slots = pool.shape(0) * pool.shape(1);
      encoder.dispatch([pool_ptr = dst.data<char>(), rows_ptr = rows.data<char>(), slot_ptr = slots.data<int32_t>(),
                        num_tokens, num_slots, row_bytes]() {
        copy_rows(pool_ptr, rows_ptr, slot_ptr, num_tokens, num_slots, row_bytes);
      });
    }
  }

  void eval_gpu(const std::vector<mx::array>&, std::vector<mx::array>&) override {
    throw std::runtime_error("[reshape_and_cache] the CPU write primitive ran on a GPU stream");
  }

  const char* name() const override { return "KvCacheWrite"; }
};

void validate(const cache_write::Args& a) {
  const auto &kp = a.k_pool, &vp = a.v_pool;
  REQUIRE(kp.ndim() == 4, "k_pool must be [num_blocks, block_size, Hkv, D], got " + shape_str(kp));
  REQUIRE(vp.shape() == kp.shape() && vp.dtype() == kp.dtype(), "v_pool " + shape_str(vp) +
                                                                     " must match k_pool " + shape_str(kp) +
                                                                     " in shape and dtype");
  // [T, Hkv, 1, D] (a decode step's heads, one position each) has [T, Hkv, D]'s layout: the writes copy rows by
  // bytes, so it is taken as it is, without a reshape node a layer.
  mx::Shape rows{a.slot_mapping.shape(0), kp.shape(2), kp.shape(3)};
  mx::Shape heads{rows[0], rows[1], 1, rows[2]};
  for (const auto* x : {&a.k, &a.v}) {
    REQUIRE(x->shape() == rows || x->shape() == heads,
            std::string(x == &a.k ? "k" : "v") + " must be [T, Hkv, D] = [" + std::to_string(rows[0]) + ", " +
                std::to_string(rows[1]) + ", " + std::to_string(rows[2]) + "] (or [T, Hkv, 1, D]), got " +
                shape_str(*x));
  }
}

}  // namespace

namespace vmlx::cache_write {
std::pair<mx::array, mx::array> write(const mx::array& k_pool, const mx::array& v_pool, const mx::array& k,
                                      const mx::array& v, const mx::array& slot_mapping, const mx::Stream& s) {
  const auto& slots_in = slot_mapping;
  REQUIRE(slots_in.ndim() == 1, "slot_mapping must be [T], got " + shape_str(slots_in));
  REQUIRE(mx::issubdtype(slots_in.dtype(), mx::integer), "slot_mapping must be an integer array");
  const auto& kp = k_pool;
  cache_write::Args a{kp, v_pool, k, v, slots_in};
  validate(a);
  REQUIRE(mx::issubdtype(kp.dtype(), mx::floating), "the pools must have a floating dtype");
  a.k = mx::astype(a.k, kp.dtype(), s);  // no node where the dtype already matches
  a.v = mx::astype(a.v, kp.dtype(), s);
  a.slot_mapping = mx::astype(a.slot_mapping, mx::int32, s);
  if (s.device == mx::Device::gpu) {
    // The kernel copies rows and slots that are not row-contiguous itself (ensure_row_contiguous): no contiguous()
    // nodes here, three a layer of every step. It writes through the pools' buffers: they must exist and be plain
    // row-major memory now.
    for (const auto* pool : {&a.k_pool, &a.v_pool}) {
      REQUIRE(pool->status() != mx::array::Status::unscheduled,
              "on a GPU stream the pools must be evaluated before they are written");
      REQUIRE(plain(*pool),
              "on a GPU stream the pools must be row-contiguous buffers");
    }
    return cache_write::kernel(a, s);
  }
  // The primitive reads plain memory. A pool that is already a plain buffer passes through contiguous() unchanged
  // (shared); others are copied.
  a.k = mx::contiguous(a.k, false, s);
  a.v = mx::contiguous(a.v, false, s);
  a.slot_mapping = mx::contiguous(a.slot_mapping, false, s);
  auto k_plain = mx::contiguous(a.k_pool, false, s);
  auto v_plain = mx::contiguous(a.v_pool, false, s);
  auto outs = mx::array::make_arrays({kp.shape(), kp.shape()}, {kp.dtype(), kp.dtype()},
                                     std::make_shared<KvCacheWrite>(s), {k_plain, v_plain, a.k, a.v, a.slot_mapping});
  return {outs[0], outs[1]};
}
}  // namespace vmlx::cache_write

namespace {

void assign_pair(mlx_array* first, mlx_array* second, std::pair<mx::array, mx::array> arrays) {
  assign(first, std::move(arrays.first));
  assign(second, std::move(arrays.second));
}

}  // namespace

namespace vmlx::cache_write {
std::optional<mx::array> write_token(const mx::array& pool) {
  // (By name: libmlx does not export the primitives' typeinfo.)
  if (!pool.has_primitive() || std::strcmp(pool.primitive().name(), "Depends") != 0) return std::nullopt;
  return pool.inputs().back();  // depends() takes the inputs, then the dependencies: the token is last
}

mx::array order_after_write(const mx::array& x, const mx::array& pool, const mx::Stream& s) {
  auto token = write_token(pool);
  if (!token) return x;
  REQUIRE(mx::issubdtype(x.dtype(), mx::integer), "order_after_write takes an integer array");
  return mx::add(x, mx::multiply(mx::astype(*token, x.dtype(), s), mx::array(0, x.dtype()), s), s);
}
}  // namespace vmlx::cache_write

#if !defined(VMLX_WITH_METAL) && !defined(VMLX_WITH_CUDA)
namespace vmlx::cache_write {
std::pair<mx::array, mx::array> kernel(const Args&, const mx::Stream&) {
  throw std::invalid_argument(std::string("[reshape_and_cache] this build (backend ") + VMLX_BACKEND_NAME +
                              ") has no GPU kernel");
}
}  // namespace vmlx::cache_write
#endif

extern "C" {

int vmlx_order_after_write(mlx_array* res, const mlx_array x, const mlx_array pool, const mlx_stream s) {
  VMLX_TRY(assign(res, cache_write::order_after_write(arr(x), arr(pool), stream(s))))
}

int vmlx_reshape_and_cache(mlx_array* k_res, mlx_array* v_res, const mlx_array k_pool, const mlx_array v_pool,
                           const mlx_array k, const mlx_array v, const mlx_array slot_mapping, const mlx_stream s) {
  VMLX_TRY(assign_pair(k_res, v_res,
                       cache_write::write(arr(k_pool), arr(v_pool), arr(k), arr(v), arr(slot_mapping), stream(s))))
}

}  // extern "C"
