// Paged KV write: the body of an MLX `fast::metal_kernel` named vmlx_reshape_and_cache (Metal twin of
// ffi/kernels/reshape_and_cache.cu). MLX writes the signature from the call (ffi/src/metal/cache_write_metal.cpp):
//   inputs   k_pool, v_pool [num_blocks, block_size, Hkv, D] of type T; k, v [num_tokens, Hkv, D] of type T;
//            slot_mapping int32 [num_tokens];
//   output   done int32 [1] (a token that later readers depend on);
//   grid (256, num_tokens, 1) threads in threadgroups of (256, 1, 1): threadgroup y copies token y's rows.
// The pools arrive as const device pointers; this kernel writes through them on purpose (the pools are updated
// in place, see ffi/src/cache_write.cpp). Slots outside the pool are skipped.
const int64_t token = threadgroup_position_in_grid.y;
const int64_t row = int64_t(k_pool_shape[2]) * k_pool_shape[3];
const int64_t num_slots = int64_t(k_pool_shape[0]) * k_pool_shape[1];
const int64_t slot = slot_mapping[token];
if (slot >= 0 && slot < num_slots) {
  device T* k_dst = const_cast<device T*>(k_pool) + slot * row;
  device T* v_dst = const_cast<device T*>(v_pool) + slot * row;
  for (int64_t i = thread_position_in_threadgroup.x; i < row; i += threads_per_threadgroup.x) {
    k_dst[i] = k[token * row + i];
    v_dst[i] = v[token * row + i];
  }
}
if (token == 0 && thread_position_in_threadgroup.x == 0) done[0] = 1;
