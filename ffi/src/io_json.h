// A minimal JSON writer for metadata returned by io.cpp.
#pragma once
#include <charconv>
#include <cmath>
#include <cstdio>
#include <string>

#include "common.h"

namespace vmlx {

inline void json_string(std::string& out, const std::string& s) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

template <typename T>
void json_number(std::string& out, T v) {
  if constexpr (std::is_floating_point_v<T>) {
    if (!std::isfinite(v)) {
      out += "null";
      return;
    }
  }
  char buf[40];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

template <typename T, typename Cast = T>
void json_elements(std::string& out, const mx::array& a) {
  const T* p = a.data<T>();
  if (a.ndim() == 0) {
    json_number(out, static_cast<Cast>(p[0]));
    return;
  }
  out += '[';
  for (size_t i = 0; i < a.size(); i++) {
    if (i) out += ',';
    json_number(out, static_cast<Cast>(p[i]));
  }
  out += ']';
}

// A numeric (or bool) array as a JSON number / boolean, or a flat JSON list of them.
inline void json_array(std::string& out, mx::array a) {
  if (!a.flags().row_contiguous) a = mx::contiguous(a);
  a.eval();
  switch (a.dtype()) {
    case mx::bool_: {
      const bool* p = a.data<bool>();
      if (a.ndim() == 0) {
        out += p[0] ? "true" : "false";
        return;
      }
      out += '[';
      for (size_t i = 0; i < a.size(); i++) out += i ? (p[i] ? ",true" : ",false") : (p[i] ? "true" : "false");
      out += ']';
      return;
    }
    case mx::uint8: return json_elements<uint8_t, unsigned>(out, a);
    case mx::uint16: return json_elements<uint16_t>(out, a);
    case mx::uint32: return json_elements<uint32_t>(out, a);
    case mx::uint64: return json_elements<uint64_t>(out, a);
    case mx::int8: return json_elements<int8_t, int>(out, a);
    case mx::int16: return json_elements<int16_t>(out, a);
    case mx::int32: return json_elements<int32_t>(out, a);
    case mx::int64: return json_elements<int64_t>(out, a);
    case mx::float16: return json_elements<mx::float16_t, float>(out, a);
    case mx::bfloat16: return json_elements<mx::bfloat16_t, float>(out, a);
    case mx::float32: return json_elements<float>(out, a);
    case mx::float64: return json_elements<double>(out, a);
    default: out += "null";
  }
}

}  // namespace vmlx
