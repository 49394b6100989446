// Paged KV write: the body of an MLX `fast::cuda_kernel` named vmlx_reshape_and_cache (CUDA twin of
// metal/reshape_and_cache.metal). MLX writes the signature from the call (ffi/src/cuda/cache_write_cuda.cpp):
//   inputs   k_pool, v_pool [num_blocks, block_size, Hkv, D] of type T; k, v [num_tokens, Hkv, D] of type T;
//            slot_mapping int32 [num_tokens];
//   output   done int32 [1] (a token that later readers depend on);
//   grid (256, num_tokens, 1) threads in blocks of (256, 1, 1): block y copies token y's key and value rows.
// The pools arrive as const pointers; this kernel writes through them on purpose (the pools are updated in place,
// see ffi/src/cache_write.cpp). Slots outside the pool are skipped.
const int64_t token = blockIdx.y;
const int64_t row = int64_t(k_pool_shape[2]) * k_pool_shape[3];
const int64_t num_slots = int64_t(k_pool_shape[0]) * k_pool_shape[1];
const int64_t slot = slot_mapping[token];
if (slot >= 0 && slot < num_slots) {
  T* k_dst = const_cast<T*>(k_pool) + slot * row;
  T* v_dst = const_cast<T*>(v_pool) + slot * row;
  for (int64_t i = threadIdx.x; i < row; i += blockDim.x) {
    k_dst[i] = k[token * row + i];
    v_dst[i] = v[token * row + i];
  }
}
if (token == 0 && threadIdx.x == 0) done[0] = 1;
