// Compiles, with NVRTC and no GPU, the source ffi/src/cuda/direct.cpp generates for our kernels (direct_source.h
// around the bodies in ffi/kernels/): every kernel in each float dtype and the constants the host launches with,
// for one architecture. Run by scripts/check-cuda-kernels.sh after the MLX-wrapped check.
//   direct_source_check LIBNVRTC ARCH REPO_ROOT INCLUDE_DIR...
// Prints one line a variant and "N passed, N failed"; exits 1 on a failure.
#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <fstream>
#include <sstream>

#include "../src/cuda/direct_source.h"

using vmlx::cuda::source::Constant;
using vmlx::cuda::source::Param;

namespace {

using Create = int (*)(void**, const char*, const char*, int, const char* const*, const char* const*);
using Compile = int (*)(void*, int, const char* const*);
using LogSize = int (*)(void*, size_t*);
using Log = int (*)(void*, char*);
using Destroy = int (*)(void**);

struct Nvrtc {
  Create create;
  Compile compile;
  LogSize log_size;
  Log log;
  Destroy destroy;
};

struct Case {
  std::string kernel;
  const char* header;
  const char* body;
  std::vector<Param> inputs, outputs;
  std::vector<Constant> constants;
};

bool reads_shape(const char* body, const std::string& name) { return std::strstr(body, (name + "_shape").c_str()); }

std::vector<Param> params(const char* body, const std::vector<std::pair<std::string, std::string>>& names) {
  std::vector<Param> out;
  for (const auto& [n, t] : names) out.push_back({n, t, reads_shape(body, n)});
  return out;
}

// The kernels' files, read from the repository (argv[3]) as the CUDA build embeds them.
std::string read(const std::string& path) {
  std::ifstream f(path);
  if (!f) {
    std::fprintf(stderr, "cannot read %s\n", path.c_str());
    std::exit(2);
  }
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::vector<Case> cases(const std::string& root) {
  static const std::string header = read(root + "/ffi/kernels/paged_attention.cuh"),
                           decode = read(root + "/ffi/kernels/paged_attention.cu"),
                           split = read(root + "/ffi/kernels/paged_attention_split.cu"),
                           chunk = read(root + "/ffi/kernels/paged_attention_chunk.cu"),
                           merge = read(root + "/ffi/kernels/paged_attention_merge.cu"),
                           serial = read(root + "/ffi/kernels/paged_attention_serial.cu"),
                           write = read(root + "/ffi/kernels/reshape_and_cache.cu"),
                           qmv = read(root + "/ffi/kernels/qmv.cu");
  const char *PAGED_KERNEL_HEADER = header.c_str(), *PAGED_KERNEL_SOURCE = decode.c_str(),
             *PAGED_KERNEL_SPLIT_SOURCE = split.c_str(), *PAGED_KERNEL_MERGE_SOURCE = merge.c_str(),
             *PAGED_KERNEL_CHUNK_SOURCE = chunk.c_str(),
             *PAGED_KERNEL_SERIAL_SOURCE = serial.c_str(), *CACHE_WRITE_KERNEL_SOURCE = write.c_str(),
             *QMV_KERNEL_SOURCE = qmv.c_str();
  std::vector<Case> out;
  const int scale = 1035098126;  // bits of 128^-0.5
  for (const char* t : {"__half", "__nv_bfloat16", "float"}) {
    const std::string T = t;
    for (int d : {64, 128, 256}) {
      auto decode_in = [&](const char* body) {
        return params(body, {{"q", T}, {"k_pool", T}, {"v_pool", T}, {"block_tables", "int32_t"},
                             {"seq_lens", "int32_t"}, {"after", "int32_t"}});
      };
      out.push_back({"vmlx_paged_attention_decode", PAGED_KERNEL_HEADER, PAGED_KERNEL_SOURCE,
                     decode_in(PAGED_KERNEL_SOURCE), {{"out", T}},
                     {{"T", 0, T}, {"D", d}, {"NW", 8}, {"SCALE_BITS", scale}, {"SOFTCAP_BITS", 0}, {"WINDOW", 0}}});
      out.push_back({"vmlx_paged_attention_partition", PAGED_KERNEL_HEADER, PAGED_KERNEL_SPLIT_SOURCE,
                     decode_in(PAGED_KERNEL_SPLIT_SOURCE), {{"part_ml", "float"}, {"part_acc", "float"}},
                     {{"T", 0, T}, {"D", d}, {"NW", 8}, {"SCALE_BITS", scale}, {"SOFTCAP_BITS", 0}, {"WINDOW", 0},
                      {"PART", 256}}});
      // The chunk kernel at every queries a warp the host may pick (ffi/src/cuda/paged_cuda.cpp: up to 4 where they
      // fit the 48 KB, else 2 or 1, fewer for few queries; float32 at 256 is not served), with a window and a softcap
      // in the head dim 64 variants.
      const int most = T == "float" ? (d == 256 ? 0 : d == 128 ? 2 : 4) : (d == 256 ? 1 : 4);
      for (int qw = most; qw >= 1; qw /= 2) {
        out.push_back({"vmlx_paged_attention_chunk", PAGED_KERNEL_HEADER, PAGED_KERNEL_CHUNK_SOURCE,
                       decode_in(PAGED_KERNEL_CHUNK_SOURCE), {{"part_ml", "float"}, {"part_acc", "float"}},
                       {{"T", 0, T}, {"D", d}, {"NW", 8}, {"TK", 32}, {"QW", qw}, {"PART", 64},
                        {"SCALE_BITS", scale}, {"SOFTCAP_BITS", d == 64 ? 1106247680 : 0},
                        {"WINDOW", d == 64 ? 4096 : 0}}});
      }
      out.push_back({"vmlx_paged_attention_merge", nullptr, PAGED_KERNEL_MERGE_SOURCE,
                     params(PAGED_KERNEL_MERGE_SOURCE, {{"part_ml", "float"}, {"part_acc", "float"}}), {{"out", T}},
                     {{"T", 0, T}, {"D", d}}});
      for (int nsg : {4, 16}) {
        out.push_back({"vmlx_paged_attention_serial", nullptr, PAGED_KERNEL_SERIAL_SOURCE,
                       decode_in(PAGED_KERNEL_SERIAL_SOURCE), {{"out", T}},
                       {{"T", 0, T}, {"D", d}, {"NSG", nsg}, {"SCALE_BITS", scale},
                        {"SOFTCAP_BITS", nsg == 4 ? 0 : 1106247680}, {"WINDOW", nsg == 4 ? 0 : 4096}}});
      }
    }
    out.push_back({"vmlx_reshape_and_cache", nullptr, CACHE_WRITE_KERNEL_SOURCE,
                   params(CACHE_WRITE_KERNEL_SOURCE,
                          {{"k_pool", T}, {"v_pool", T}, {"k", T}, {"v", T}, {"slot_mapping", "int32_t"}}),
                   {{"done", "int32_t"}}, {{"T", 0, T}}});
    for (int bits : {4, 8}) {
      for (int m : {1, 8, 16}) {
        out.push_back({"vmlx_qmv", nullptr, QMV_KERNEL_SOURCE,
                       params(QMV_KERNEL_SOURCE, {{"x", T}, {"w", "uint32_t"}, {"scales", T}, {"biases", T}}),
                       {{"out", T}},
                       {{"T", 0, T}, {"BITS", bits}, {"G", 64}, {"M", m}, {"NW", 8},
                        {"COLS", m <= 4 ? 8 : m <= 8 ? 4 : 2}, {"UNROLL", m <= 4 ? 1 : m <= 8 ? 2 : 4}}});
      }
    }
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: direct_source_check LIBNVRTC ARCH REPO_ROOT INCLUDE_DIR...\n");
    return 2;
  }
  void* lib = dlopen(argv[1], RTLD_NOW);
  if (lib == nullptr) {
    std::fprintf(stderr, "cannot load %s: %s\n", argv[1], dlerror());
    return 2;
  }
  Nvrtc n{reinterpret_cast<Create>(dlsym(lib, "nvrtcCreateProgram")),
          reinterpret_cast<Compile>(dlsym(lib, "nvrtcCompileProgram")),
          reinterpret_cast<LogSize>(dlsym(lib, "nvrtcGetProgramLogSize")),
          reinterpret_cast<Log>(dlsym(lib, "nvrtcGetProgramLog")),
          reinterpret_cast<Destroy>(dlsym(lib, "nvrtcDestroyProgram"))};
  std::vector<std::string> opts = {std::string("--gpu-architecture=") + argv[2], 
                                   "--device-as-default-execution-space"};
  for (int i = 4; i < argc; ++i) opts.push_back(std::string("--include-path=") + argv[i]);
  std::vector<const char*> copts;
  for (const auto& o : opts) copts.push_back(o.c_str());
  int passed = 0, failed = 0;
  for (const auto& c : cases(argv[3])) {
    std::string key;
    for (const auto& k : c.constants) key += "_" + (k.type.empty() ? std::to_string(k.value) : k.type);
    const std::string entry = vmlx::cuda::source::entry_name(c.kernel, key);
    const std::string src = vmlx::cuda::source::wrap(entry, c.header, c.body, c.inputs, c.outputs, c.constants);
    void* prog = nullptr;
    bool ok = n.create(&prog, src.c_str(), "direct.cu", 0, nullptr, nullptr) == 0 &&
              n.compile(prog, static_cast<int>(copts.size()), copts.data()) == 0;
    std::printf("%s %s\n", ok ? "ok  " : "FAIL", entry.c_str());
    if (!ok && prog != nullptr) {
      size_t size = 0;
      n.log_size(prog, &size);
      std::string log(size, '\0');
      n.log(prog, log.data());
      std::printf("%s\n", log.substr(0, 4000).c_str());
    }
    if (prog != nullptr) n.destroy(&prog);
    (ok ? passed : failed)++;
  }
  {
    void* prog = nullptr;
    bool ok = n.create(&prog, vmlx::cuda::source::STRIDED_COPY, "copy.cu", 0, nullptr, nullptr) == 0 &&
              n.compile(prog, static_cast<int>(copts.size()), copts.data()) == 0;
    std::printf("%s vmlx_direct_strided_copy\n", ok ? "ok  " : "FAIL");
    if (prog != nullptr) n.destroy(&prog);
    (ok ? passed : failed)++;
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
