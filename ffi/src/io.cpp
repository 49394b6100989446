// Safetensors and GGUF loading and saving.
#include <cstring>
#include <unordered_map>

#include "io_json.h"
#include "ops_nn_util.h"

using namespace vmlx;

namespace {
std::string& buffer(vmlx_buffer b) { return *static_cast<std::string*>(b.ctx); }

void assign_buffer(vmlx_buffer* res, std::string s) {
  if (res->ctx) {
    buffer(*res) = std::move(s);
  } else {
    res->ctx = new std::string(std::move(s));
  }
}

// Splits a loaded map into (arrays, '\0'-terminated names), in one iteration order.
void split_map(const std::unordered_map<std::string, mx::array>& m, mlx_vector_array* arrays, vmlx_buffer* names) {
  std::vector<mx::array> v;
  v.reserve(m.size());
  std::string joined;
  for (const auto& [k, a] : m) {
    v.push_back(a);
    joined += k;
    joined += '\0';
  }
  assign_vector(arrays, std::move(v));
  assign_buffer(names, std::move(joined));
}

// Reads `n` '\0'-terminated strings starting at `p`.
std::vector<std::string> read_strings(const char* p, size_t n) {
  std::vector<std::string> out;
  out.reserve(n);
  for (size_t i = 0; i < n; i++) {
    if (!p) throw std::invalid_argument("missing names");
    out.emplace_back(p);
    p += out.back().size() + 1;
  }
  return out;
}

std::unordered_map<std::string, mx::array> zip_map(const mlx_vector_array arrays, const char* names) {
  const auto& v = vec(arrays);
  auto keys = read_strings(names, v.size());
  std::unordered_map<std::string, mx::array> m;
  for (size_t i = 0; i < v.size(); i++) {
    if (!m.emplace(keys[i], v[i]).second) throw std::invalid_argument("duplicate tensor name '" + keys[i] + "'");
  }
  return m;
}

std::string gguf_metadata_json(const std::unordered_map<std::string, mx::GGUFMetaData>& meta) {
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : meta) {
    if (!first) out += ',';
    first = false;
    json_string(out, k);
    out += ':';
    if (auto* a = std::get_if<mx::array>(&v)) {
      json_array(out, *a);
    } else if (auto* s = std::get_if<std::string>(&v)) {
      json_string(out, *s);
    } else if (auto* l = std::get_if<std::vector<std::string>>(&v)) {
      out += '[';
      for (size_t i = 0; i < l->size(); i++) {
        if (i) out += ',';
        json_string(out, (*l)[i]);
      }
      out += ']';
    } else {
      out += "null";
    }
  }
  out += '}';
  return out;
}

struct BlobReader {
  const char* p;
  const char* end;
  uint32_t u32() {
    if (end - p < 4) throw std::invalid_argument("truncated GGUF string metadata");
    uint32_t v;
    std::memcpy(&v, p, 4);
    p += 4;
    return v;
  }
  std::string str() {
    uint32_t n = u32();
    if (static_cast<size_t>(end - p) < n) throw std::invalid_argument("truncated GGUF string metadata");
    std::string s(p, n);
    p += n;
    return s;
  }
};

void parse_string_metadata(const void* blob, size_t len, std::unordered_map<std::string, mx::GGUFMetaData>& meta) {
  BlobReader r{static_cast<const char*>(blob), static_cast<const char*>(blob) + len};
  while (r.p < r.end) {
    std::string key = r.str();
    uint32_t count = r.u32();
    if (count == 0xFFFFFFFFu) {
      meta[key] = r.str();
    } else {
      std::vector<std::string> list;
      list.reserve(count);
      for (uint32_t i = 0; i < count; i++) list.push_back(r.str());
      meta[key] = std::move(list);
    }
  }
}

void load_safetensors(mlx_vector_array* arrays, vmlx_buffer* names, vmlx_buffer* metadata, const char* file,
                      mlx_stream s) {
  auto [tensors, meta] = mx::load_safetensors(std::string(file), stream(s));
  std::string json = "{";
  bool first = true;
  for (const auto& [k, v] : meta) {
    if (!first) json += ',';
    first = false;
    json_string(json, k);
    json += ':';
    json_string(json, v);
  }
  json += '}';
  split_map(tensors, arrays, names);
  assign_buffer(metadata, std::move(json));
}

void save_safetensors(const char* file, mlx_vector_array arrays, const char* names, const char* metadata,
                      size_t n_metadata) {
  auto m = zip_map(arrays, names);
  auto kv = read_strings(metadata, n_metadata * 2);
  std::unordered_map<std::string, std::string> meta;
  for (size_t i = 0; i < n_metadata; i++) meta[kv[2 * i]] = kv[2 * i + 1];
  mx::save_safetensors(std::string(file), std::move(m), std::move(meta));
}

void load_gguf(mlx_vector_array* arrays, vmlx_buffer* names, vmlx_buffer* metadata, const char* file,
               mlx_stream s) {
  auto [tensors, meta] = mx::load_gguf(std::string(file), stream(s));
  auto json = gguf_metadata_json(meta);
  split_map(tensors, arrays, names);
  assign_buffer(metadata, std::move(json));
}

void save_gguf(const char* file, mlx_vector_array arrays, const char* names, mlx_vector_array meta_arrays,
               const char* meta_array_keys, const void* meta_strings, size_t meta_strings_len) {
  auto m = zip_map(arrays, names);
  std::unordered_map<std::string, mx::GGUFMetaData> meta;
  if (meta_arrays.ctx) {
    const auto& v = vec(meta_arrays);
    auto keys = read_strings(meta_array_keys, v.size());
    for (size_t i = 0; i < v.size(); i++) meta[keys[i]] = v[i];
  }
  if (meta_strings && meta_strings_len) parse_string_metadata(meta_strings, meta_strings_len, meta);
  mx::save_gguf(std::string(file), std::move(m), std::move(meta));
}
}  // namespace

extern "C" {

const void* vmlx_buffer_data(const vmlx_buffer b) { return b.ctx ? buffer(b).data() : nullptr; }
size_t vmlx_buffer_size(const vmlx_buffer b) { return b.ctx ? buffer(b).size() : 0; }
int vmlx_buffer_free(vmlx_buffer b) {
  delete static_cast<std::string*>(b.ctx);
  return 0;
}

int vmlx_load_safetensors(mlx_vector_array* arrays, vmlx_buffer* names, vmlx_buffer* metadata, const char* file,
                          const mlx_stream s) {
  VMLX_TRY(load_safetensors(arrays, names, metadata, file, s))
}

int vmlx_save_safetensors(const char* file, const mlx_vector_array arrays, const char* names, const char* metadata,
                          size_t n_metadata) {
  VMLX_TRY(save_safetensors(file, arrays, names, metadata, n_metadata))
}

int vmlx_load_gguf(mlx_vector_array* arrays, vmlx_buffer* names, vmlx_buffer* metadata, const char* file,
                   const mlx_stream s) {
  VMLX_TRY(load_gguf(arrays, names, metadata, file, s))
}

int vmlx_save_gguf(const char* file, const mlx_vector_array arrays, const char* names,
                   const mlx_vector_array meta_arrays, const char* meta_array_keys, const void* meta_strings,
                   size_t meta_strings_len) {
  VMLX_TRY(save_gguf(file, arrays, names, meta_arrays, meta_array_keys, meta_strings, meta_strings_len))
}

}  // extern "C"
