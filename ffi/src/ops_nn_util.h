// Optional-argument conversions shared by ops_nn*.cpp, io*.cpp and compiled*.cpp.
#pragma once
#include <optional>
#include <string>

#include "common.h"

namespace vmlx {
inline std::optional<mx::array> opt_arr(mlx_array a) {
  return a.ctx ? std::make_optional(arr(a)) : std::nullopt;
}
inline std::optional<int> opt_int(mlx_optional_int v) {
  return v.has_value ? std::make_optional(v.value) : std::nullopt;
}
inline std::optional<float> opt_float(mlx_optional_float v) {
  return v.has_value ? std::make_optional(v.value) : std::nullopt;
}
inline std::optional<mx::Dtype> opt_dtype(mlx_optional_dtype v) {
  return v.has_value ? std::make_optional(to_dtype(v.value)) : std::nullopt;
}
inline std::string str_or(const char* s, const char* fallback) { return s ? std::string(s) : std::string(fallback); }

// Stores `v` into a vector out-parameter: reuses the vector when one exists, else creates one.
inline void assign_vector(mlx_vector_array* res, std::vector<mx::array> v) {
  if (res->ctx) {
    vec(*res) = std::move(v);
  } else {
    res->ctx = new std::vector<mx::array>(std::move(v));
  }
}
}  // namespace vmlx
