// Random keys and sampling. A null key (ctx == NULL) draws from the global PRNG.
#include "common.h"

using namespace vmlx;

namespace {
std::optional<mx::array> opt_key(mlx_array key) {
  return key.ctx ? std::make_optional(arr(key)) : std::nullopt;
}
}  // namespace

extern "C" {

int mlx_random_key(mlx_array* res, uint64_t seed) { VMLX_TRY(assign(res, mx::random::key(seed))) }

int mlx_random_seed(uint64_t seed) { VMLX_TRY(mx::random::seed(seed)) }

int mlx_random_split_num(mlx_array* res, const mlx_array key, int num, const mlx_stream s) {
  VMLX_TRY(assign(res, mx::random::split(arr(key), num, stream(s))))
}

int mlx_random_categorical(mlx_array* res, const mlx_array logits, int axis, const mlx_array key,
                           const mlx_stream s) {
  VMLX_TRY(assign(res, mx::random::categorical(arr(logits), axis, opt_key(key), stream(s))))
}

int mlx_random_categorical_num_samples(mlx_array* res, const mlx_array logits, int axis, int num_samples,
                                       const mlx_array key, const mlx_stream s) {
  VMLX_TRY(assign(res, mx::random::categorical(arr(logits), axis, num_samples, opt_key(key), stream(s))))
}

int mlx_random_uniform(mlx_array* res, const mlx_array low, const mlx_array high, const int* shape, size_t shape_num,
                       mlx_dtype dtype, const mlx_array key, const mlx_stream s) {
  VMLX_TRY(assign(res, mx::random::uniform(arr(low), arr(high), to_shape(shape, shape_num), to_dtype(dtype),
                                           opt_key(key), stream(s))))
}

int mlx_random_normal(mlx_array* res, const int* shape, size_t shape_num, mlx_dtype dtype, float loc, float scale,
                      const mlx_array key, const mlx_stream s) {
  VMLX_TRY(assign(res, mx::random::normal(to_shape(shape, shape_num), to_dtype(dtype), loc, scale, opt_key(key),
                                          stream(s))))
}

int mlx_random_bernoulli(mlx_array* res, const mlx_array p, const int* shape, size_t shape_num, const mlx_array key,
                         const mlx_stream s) {
  VMLX_TRY(assign(res, mx::random::bernoulli(arr(p), to_shape(shape, shape_num), opt_key(key), stream(s))))
}

}  // extern "C"
