// Grammar masks on the device in one call: a host int32 bitmask (bit j of word w allows token 32w + j, xgrammar's
// and vLLM's layout) applied to logits [B, V] as where(allowed, logits, -inf). The bitmask is read as uint32 words
// [B, W, 1]; shifting word w left by 31 - j puts token 32w + j's bit on top, so
//   allowed = (word << (31 - j)) >= 2^31
// over logits viewed as [B, W, 32]: broadcasts and elementwise ops only, which mx::compile fuses into one kernel
// on GPU backends (no gather, no per-vocabulary tables). A vocabulary that is not a multiple of 32 is padded
// with -inf to 32 W and cut back.
#include <limits>

#include "common.h"
#if defined(VMLX_WITH_CUDA)
#include "cuda/direct.h"
#endif

using namespace vmlx;

namespace {
using Fn = std::function<std::vector<mx::array>(const std::vector<mx::array>&)>;

// in: words uint32 [B, W, 1], shifts uint32 [32], logits [B, W, 32] -> the masked logits [B, W, 32] in the
// dtype of the ninf scalar (in[3]): a conversion the caller would make next (the sampler's float32) fuses in.
// Not shapeless: the broadcasts it traces hold their shapes, so each (B, V) gets its own trace.
const Fn& masked_fn() {
  static const Fn f = mx::compile([](const std::vector<mx::array>& in) {
    auto top = mx::left_shift(in[0], in[1]);
    auto allowed = mx::greater_equal(top, mx::array(0x80000000u, mx::uint32));
    return std::vector<mx::array>{mx::where(allowed, mx::astype(in[2], in[3].dtype()), in[3])};
  });
  return f;
}

const mx::array& shifts() {
  static const mx::array s = [] {
    uint32_t v[32];
    for (int j = 0; j < 32; j++) v[j] = static_cast<uint32_t>(31 - j);
    mx::array a(v, {32}, mx::uint32);
    mx::eval(a);
    return a;
  }();
  return s;
}

// The bitmask's words as uint32 [B, W, 1] (the same bytes). On CUDA they go to pinned memory, which the mask kernel
// reads in place (cuda/direct.h), instead of managed memory that faults over to the device and back each step.
mx::array words_of(const int32_t* bitmask, int B, int W, const mx::Stream& s) {
#if defined(VMLX_WITH_CUDA)
  if (s.device == mx::Device::gpu && cuda::enabled()) return cuda::pinned_from_host(bitmask, {B, W, 1}, mx::uint32, s);
#endif
  return from_host(bitmask, {B, W, 1}, mx::uint32);
}

mx::array apply(const mx::array& logits, const int32_t* bitmask, int rows, int words, mx::Dtype dtype,
                const mx::Stream& s) {
  VMLX_REQUIRE("apply_token_bitmask", logits.ndim() == 2, "logits must be [B, V], got " + shape_str(logits));
  const int B = logits.shape(0);
  const int V = logits.shape(1);
  const int W = (V + 31) / 32;
  VMLX_REQUIRE("apply_token_bitmask", rows == B && words == W,
               "bitmask has " + std::to_string(rows) + " rows of " + std::to_string(words) + " words; " +
                   std::to_string(B) + " rows of " + std::to_string(W) + " expected for logits " + shape_str(logits));
  auto w = words_of(bitmask, B, W, s);
  auto x = logits;
  if (V != 32 * W) {
    auto pad = mx::full({B, 32 * W - V}, mx::array(-std::numeric_limits<float>::infinity(), x.dtype()));
    x = mx::concatenate({x, pad}, 1);
  }
  auto ninf = mx::array(-std::numeric_limits<float>::infinity(), dtype);
  auto masked = mx::reshape(masked_fn()({w, shifts(), mx::reshape(x, {B, W, 32}), ninf})[0], {B, 32 * W});
  return V == 32 * W ? masked : mx::slice(masked, {0, 0}, {B, V});
}
}  // namespace

extern "C" {

int vmlx_apply_token_bitmask(mlx_array* res, const mlx_array logits, const int32_t* bitmask, int rows, int words,
                             mlx_dtype dtype, const mlx_stream s) {
  VMLX_TRY({
    mx::StreamContext ctx(stream(s));
    auto dt = to_dtype(dtype);
    VMLX_REQUIRE("apply_token_bitmask", mx::issubdtype(dt, mx::floating), "the result dtype must be floating");
    assign(res, apply(arr(logits), bitmask, rows, words, dt, stream(s)));
  })
}

}  // extern "C"
