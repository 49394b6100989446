// Shared plumbing for the vmlx C ABI: handle conversion and the error contract.
#pragma once
#include <exception>
#include <string>
#include <vector>

#include <mlx/mlx.h>

#include "vmlx/vmlx.h"

namespace vmlx {
namespace mx = mlx::core;

void set_error(const char* msg);
void set_error(const std::string& msg);
void note_array_created();
void note_array_freed();

inline mx::array& arr(mlx_array a) { return *static_cast<mx::array*>(a.ctx); }
inline mx::Stream& stream(mlx_stream s) { return *static_cast<mx::Stream*>(s.ctx); }
inline mx::Device& device(mlx_device d) { return *static_cast<mx::Device*>(d.ctx); }
inline std::vector<mx::array>& vec(mlx_vector_array v) {
  return *static_cast<std::vector<mx::array>*>(v.ctx);
}

// Wraps a fresh mx::array in a handle the caller owns.
mlx_array wrap(mx::array a);
// Stores `a` into the out-parameter: reuses its handle when one exists, else creates one.
void assign(mlx_array* res, mx::array a);

mx::array from_host(const void* data, mx::Shape s, mx::Dtype dt);
mx::Dtype to_dtype(mlx_dtype d);  // throws std::invalid_argument on an unknown value
mlx_dtype from_dtype(mx::Dtype d);

// "[2, 3, 4]": a shape for error messages.
std::string shape_str(const mx::array& a);
// Throws std::invalid_argument("[op] msg").
[[noreturn]] void throw_invalid_arg(const char* op, const std::string& msg);

inline mx::Shape to_shape(const int* shape, size_t n) { return mx::Shape(shape, shape + n); }
inline std::vector<int> to_ints(const int* v, size_t n) { return std::vector<int>(v, v + n); }
}  // namespace vmlx

// Throws std::invalid_argument("[op] msg") unless `ok`. A macro so that `msg` is built only on failure: these
// checks run for every layer of every step.
#define VMLX_REQUIRE(op, ok, msg)                              \
  do {                                                         \
    if (!(ok)) ::vmlx::throw_invalid_arg(op, msg);             \
  } while (0)

// Runs `body`; returns 0, or 1 with MLX's message stored for vmlx_last_error().
#define VMLX_TRY(body)                                 \
  try {                                                \
    body;                                              \
    return 0;                                          \
  } catch (const std::exception& e) {                  \
    ::vmlx::set_error(e.what());                       \
    return 1;                                          \
  } catch (...) {                                      \
    ::vmlx::set_error("unknown C++ exception in MLX"); \
    return 1;                                          \
  }

// Same contract for constructors that return a handle: a null ctx means failure.
#define VMLX_TRY_HANDLE(type, body)                    \
  try {                                                \
    body;                                              \
  } catch (const std::exception& e) {                  \
    ::vmlx::set_error(e.what());                       \
  } catch (...) {                                      \
    ::vmlx::set_error("unknown C++ exception in MLX"); \
  }                                                    \
  return type{nullptr};
