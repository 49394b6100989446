// Arrays, vectors of arrays, errors and version.
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "common.h"

namespace vmlx {
namespace {
thread_local std::string last_error;
std::atomic<int64_t> live_arrays{0};
}  // namespace

void set_error(const char* msg) { last_error = msg ? msg : ""; }
void set_error(const std::string& msg) { last_error = msg; }

std::string shape_str(const mx::array& a) {
  std::string out = "[";
  for (size_t i = 0; i < a.shape().size(); ++i) out += (i ? ", " : "") + std::to_string(a.shape()[i]);
  return out + "]";
}

void throw_invalid_arg(const char* op, const std::string& msg) {
  throw std::invalid_argument(std::string("[") + op + "] " + msg);
}
void note_array_created() { live_arrays.fetch_add(1, std::memory_order_relaxed); }
void note_array_freed() { live_arrays.fetch_sub(1, std::memory_order_relaxed); }

mlx_array wrap(mx::array a) {
  note_array_created();
  return mlx_array{new mx::array(std::move(a))};
}

void assign(mlx_array* res, mx::array a) {
  if (res->ctx) {
    arr(*res) = std::move(a);
  } else {
    *res = wrap(std::move(a));
  }
}

namespace {
template <typename T>
mx::array copy_in(const void* data, mx::Shape s, mx::Dtype dt) {
  return mx::array(static_cast<const T*>(data), std::move(s), dt);
}
}  // namespace

// Copies a host buffer of `dt` elements into a new array (the iterator constructor copies).
mx::array from_host(const void* data, mx::Shape s, mx::Dtype dt) {
  switch (dt.val()) {
    case mx::Dtype::Val::bool_: return copy_in<bool>(data, std::move(s), dt);
    case mx::Dtype::Val::uint8: return copy_in<uint8_t>(data, std::move(s), dt);
    case mx::Dtype::Val::uint16: return copy_in<uint16_t>(data, std::move(s), dt);
    case mx::Dtype::Val::uint32: return copy_in<uint32_t>(data, std::move(s), dt);
    case mx::Dtype::Val::uint64: return copy_in<uint64_t>(data, std::move(s), dt);
    case mx::Dtype::Val::int8: return copy_in<int8_t>(data, std::move(s), dt);
    case mx::Dtype::Val::int16: return copy_in<int16_t>(data, std::move(s), dt);
    case mx::Dtype::Val::int32: return copy_in<int32_t>(data, std::move(s), dt);
    case mx::Dtype::Val::int64: return copy_in<int64_t>(data, std::move(s), dt);
    case mx::Dtype::Val::float16: return copy_in<mx::float16_t>(data, std::move(s), dt);
    case mx::Dtype::Val::float32: return copy_in<float>(data, std::move(s), dt);
    case mx::Dtype::Val::float64: return copy_in<double>(data, std::move(s), dt);
    case mx::Dtype::Val::bfloat16: return copy_in<mx::bfloat16_t>(data, std::move(s), dt);
    case mx::Dtype::Val::complex64: return copy_in<mx::complex64_t>(data, std::move(s), dt);
  }
  throw std::invalid_argument("[vmlx] unsupported dtype");
}

mx::Dtype to_dtype(mlx_dtype d) {
  switch (d) {
    case MLX_BOOL: return mx::bool_;
    case MLX_UINT8: return mx::uint8;
    case MLX_UINT16: return mx::uint16;
    case MLX_UINT32: return mx::uint32;
    case MLX_UINT64: return mx::uint64;
    case MLX_INT8: return mx::int8;
    case MLX_INT16: return mx::int16;
    case MLX_INT32: return mx::int32;
    case MLX_INT64: return mx::int64;
    case MLX_FLOAT16: return mx::float16;
    case MLX_FLOAT32: return mx::float32;
    case MLX_FLOAT64: return mx::float64;
    case MLX_BFLOAT16: return mx::bfloat16;
    case MLX_COMPLEX64: return mx::complex64;
  }
  throw std::invalid_argument("[vmlx] unknown dtype code " + std::to_string(static_cast<int>(d)));
}

mlx_dtype from_dtype(mx::Dtype d) {
  switch (d.val()) {
    case mx::Dtype::Val::bool_: return MLX_BOOL;
    case mx::Dtype::Val::uint8: return MLX_UINT8;
    case mx::Dtype::Val::uint16: return MLX_UINT16;
    case mx::Dtype::Val::uint32: return MLX_UINT32;
    case mx::Dtype::Val::uint64: return MLX_UINT64;
    case mx::Dtype::Val::int8: return MLX_INT8;
    case mx::Dtype::Val::int16: return MLX_INT16;
    case mx::Dtype::Val::int32: return MLX_INT32;
    case mx::Dtype::Val::int64: return MLX_INT64;
    case mx::Dtype::Val::float16: return MLX_FLOAT16;
    case mx::Dtype::Val::float32: return MLX_FLOAT32;
    case mx::Dtype::Val::float64: return MLX_FLOAT64;
    case mx::Dtype::Val::bfloat16: return MLX_BFLOAT16;
    case mx::Dtype::Val::complex64: return MLX_COMPLEX64;
  }
  return MLX_FLOAT32;
}
}  // namespace vmlx

using namespace vmlx;

extern "C" {

const char* vmlx_last_error(void) { return vmlx::last_error.c_str(); }
void vmlx_clear_error(void) { vmlx::last_error.clear(); }
const char* vmlx_mlx_version(void) {
  static const std::string v = mx::version();
  return v.c_str();
}
const char* vmlx_backend(void) { return VMLX_BACKEND_NAME; }
int64_t vmlx_live_arrays(void) { return vmlx::live_arrays.load(); }
void* vmlx_alloc(size_t nbytes) { return std::calloc(nbytes ? nbytes : 1, 1); }
void vmlx_free(void* p) { std::free(p); }

mlx_array mlx_array_new(void) { return mlx_array{nullptr}; }

int mlx_array_free(mlx_array a) {
  if (a.ctx) {
    delete static_cast<mx::array*>(a.ctx);
    note_array_freed();
  }
  return 0;
}

mlx_array mlx_array_new_data(const void* data, const int* shape, int dim, mlx_dtype dtype) {
  VMLX_TRY_HANDLE(mlx_array, {
    if (dim < 0) throw std::invalid_argument("[vmlx] negative ndim");
    mx::Shape s = to_shape(shape, static_cast<size_t>(dim));
    mx::Dtype dt = to_dtype(dtype);
    for (int d : s) {
      if (d < 0) throw std::invalid_argument("[vmlx] negative dimension in shape");
    }
    return wrap(from_host(data, std::move(s), dt));
  })
}

mlx_array mlx_array_new_float(float v) { return wrap(mx::array(v)); }
mlx_array mlx_array_new_int(int v) { return wrap(mx::array(v)); }
mlx_array mlx_array_new_bool(bool v) { return wrap(mx::array(v)); }

int mlx_array_set(mlx_array* res, const mlx_array src) { VMLX_TRY(assign(res, arr(src))) }

size_t mlx_array_ndim(const mlx_array a) { return arr(a).ndim(); }
const int* mlx_array_shape(const mlx_array a) { return arr(a).shape().data(); }
int vmlx_array_dims(const mlx_array a, int* out, int cap) {
  const auto& shape = arr(a).shape();
  const int n = static_cast<int>(shape.size());
  for (int i = 0; i < n && i < cap; i++) out[i] = shape[i];
  return n;
}
int mlx_array_dim(const mlx_array a, int dim) { return arr(a).shape(dim); }
size_t mlx_array_size(const mlx_array a) { return arr(a).size(); }
size_t mlx_array_nbytes(const mlx_array a) { return arr(a).nbytes(); }
mlx_dtype mlx_array_dtype(const mlx_array a) { return from_dtype(arr(a).dtype()); }

int mlx_array_eval(mlx_array a) { VMLX_TRY(arr(a).eval()) }

int mlx_array_item_float32(float* res, const mlx_array a) { VMLX_TRY(*res = arr(a).item<float>()) }
int mlx_array_item_int32(int32_t* res, const mlx_array a) { VMLX_TRY(*res = arr(a).item<int32_t>()) }
int mlx_array_item_uint32(uint32_t* res, const mlx_array a) { VMLX_TRY(*res = arr(a).item<uint32_t>()) }
int mlx_array_item_bool(bool* res, const mlx_array a) { VMLX_TRY(*res = arr(a).item<bool>()) }

int vmlx_array_read(const mlx_array a, void* dst, size_t nbytes) {
  VMLX_TRY({
    mx::array x = arr(a);
    if (nbytes != x.nbytes()) {
      throw std::invalid_argument("[vmlx_array_read] buffer holds " + std::to_string(nbytes) +
                                  " bytes, array needs " + std::to_string(x.nbytes()));
    }
    x.eval();  // flags are only meaningful once evaluated (a broadcast `full` is not row-contiguous)
    if (!x.flags().row_contiguous) {
      x = mx::contiguous(x);
      x.eval();
    }
    if (!x.flags().row_contiguous) {
      throw std::runtime_error("[vmlx_array_read] array is not row-contiguous after copy");
    }
    if (nbytes > 0) std::memcpy(dst, x.data<void>(), nbytes);
  })
}

mlx_vector_array mlx_vector_array_new(void) {
  return mlx_vector_array{new std::vector<mx::array>()};
}
mlx_vector_array mlx_vector_array_new_data(const mlx_array* data, size_t size) {
  auto* v = new std::vector<mx::array>();
  v->reserve(size);
  for (size_t i = 0; i < size; ++i) v->push_back(arr(data[i]));
  return mlx_vector_array{v};
}
int mlx_vector_array_free(mlx_vector_array v) {
  delete static_cast<std::vector<mx::array>*>(v.ctx);
  return 0;
}
int mlx_vector_array_append_value(mlx_vector_array v, const mlx_array val) {
  VMLX_TRY(vec(v).push_back(arr(val)))
}
size_t mlx_vector_array_size(mlx_vector_array v) { return vec(v).size(); }
int mlx_vector_array_get(mlx_array* res, const mlx_vector_array v, size_t idx) {
  VMLX_TRY(assign(res, vec(v).at(idx)))
}

}  // extern "C"
