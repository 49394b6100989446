// The paged-attention decode kernels for MLX's CUDA backend (compiled with NVRTC on first use, cuda/direct.h), from
// ffi/kernels/ (embedded at configure time): paged_attention.cuh, the device code they share (their header);
// paged_attention.cu, one pass over a row's keys; paged_attention_split.cu and paged_attention_merge.cu, the
// same split over partitions of PARTITION keys, then merged (flash-decoding); paged_attention_serial.cu, the
// kernel before them (one block per row and head, each warp walking its keys one at a time);
// paged_attention_chunk.cu, the rows of one sequence's prefill chunk (Args::one_sequence) from one read of each
// key, merged as the split pair is.
// The serial kernel is the default: it is the one checked on a GPU (an H100, round 2 session 3). The split design
// is taken under VLLM_MLX_PAGED_KERNEL=split (read once) until all its conformance tests have run on a GPU (56 of
// the file's 80 ran, none failing, in session 8).
// scripts/check-cuda-kernels.py compiles every variant launched here with NVRTC, without a GPU.
#include <cstdlib>
#include <cstring>

#include "../cache_write.h"
#include "../paged.h"
#include "direct.h"
#include "paged_kernel_chunk_source.h"
#include "paged_kernel_header.h"
#include "paged_kernel_merge_source.h"
#include "paged_kernel_serial_source.h"
#include "paged_kernel_source.h"
#include "paged_kernel_split_source.h"

namespace vmlx::paged {

namespace {

// Keys a partition. A row's keys past one partition go to several blocks, so a batch-1 step still fills the card:
// Qwen3-0.6B's 16 query heads over 2,064 keys make 9 x 16 = 144 blocks for an H100's 132 SMs (at 512, 80),
// while a partition still gives each of the 8 warps 32 keys (2 to 16 of them in flight at once) and the merge
// reads at most ceil(keys / 256) partial states. At most one partition (the host's bound from the block tables'
// width), the one-pass kernel writes the output itself: no scratch, no second launch.
constexpr int PARTITION = 256;
constexpr int WARPS = 8;  // per block

const std::vector<std::string> DECODE_INPUTS = {"q", "k_pool", "v_pool", "block_tables", "seq_lens", "after"};

// Each launches directly (cuda/direct.h) unless VLLM_MLX_CUDA_LAUNCH=mlx.
const mx::fast::CustomKernelFunction& decode_kernel() {
  static const mx::fast::CustomKernelFunction k = cuda::function(
      {"vmlx_paged_attention_decode", PAGED_KERNEL_SOURCE, PAGED_KERNEL_HEADER, DECODE_INPUTS, {"out"}});
  return k;
}

const mx::fast::CustomKernelFunction& partition_kernel() {
  static const mx::fast::CustomKernelFunction k = cuda::function({"vmlx_paged_attention_partition",
      PAGED_KERNEL_SPLIT_SOURCE, PAGED_KERNEL_HEADER, DECODE_INPUTS, {"part_ml", "part_acc"}});
  return k;
}

const mx::fast::CustomKernelFunction& merge_kernel() {
  static const mx::fast::CustomKernelFunction k = cuda::function(
      {"vmlx_paged_attention_merge", PAGED_KERNEL_MERGE_SOURCE, nullptr, {"part_ml", "part_acc"}, {"out"}});
  return k;
}

const mx::fast::CustomKernelFunction& chunk_kernel() {
  static const mx::fast::CustomKernelFunction k = cuda::function({"vmlx_paged_attention_chunk",
      PAGED_KERNEL_CHUNK_SOURCE, PAGED_KERNEL_HEADER, DECODE_INPUTS, {"part_ml", "part_acc"}});
  return k;
}

const mx::fast::CustomKernelFunction& serial_kernel() {
  static const mx::fast::CustomKernelFunction k =
      cuda::function({"vmlx_paged_attention_serial", PAGED_KERNEL_SERIAL_SOURCE, nullptr, DECODE_INPUTS, {"out"}});
  return k;
}

bool split_asked() {
  static const bool asked = [] {
    const char* v = std::getenv("VLLM_MLX_PAGED_KERNEL");
    return v != nullptr && std::strcmp(v, "split") == 0;
  }();
  return asked;
}

// Warps per block of the serial kernel: each walks its share of a row's keys one after another, so a long context
// takes more of them. By the keys the block tables reach: 4 below 1,024, 8 below 2,048, else 16.
int serial_warps(int max_keys) { return max_keys < 1024 ? 4 : max_keys < 2048 ? 8 : 16; }

// A float's bits as an int template constant (the kernels reinterpret it): positive floats give positive ints,
// which MLX writes into the kernel's name.
int bits_of(float x) {
  int i;
  std::memcpy(&i, &x, sizeof i);
  return i;
}

// Every decode kernel's inputs (DECODE_INPUTS). `after`: the pools' write token when they come from this step's write
// (orders the kernel after it), else any small array already among the inputs. The kernels do not read it.
std::vector<mx::array> decode_inputs(const Args& a) {
  auto after = cache_write::write_token(a.k_pool).value_or(a.seq_lens);
  return {a.queries, a.k_pool, a.v_pool, a.block_tables, a.seq_lens, after};
}

// The output [B, Hq, 1, D] from the partial states (part_ml, part_acc) of the split and chunk kernels.
mx::array merge(const std::vector<mx::array>& partial, const mx::array& q, const mx::Stream& s) {
  const int B = q.shape(0), Hq = q.shape(1), D = q.shape(3);
  return merge_kernel()(partial, {q.shape()}, {q.dtype()}, {D, Hq, B}, {D, 1, 1}, {{"T", q.dtype()}, {"D", D}},
                        std::nullopt, false, s)[0];
}

// The chunk kernel's tiles: TK keys in shared memory (K and V rows padded 16 bytes), and QW queries a warp and their
// weights of a tile in float32, within the 48 KB a block may take without opting in. Partitions of CHUNK_PART keys:
// 2,064 keys make 33 of them a kv head (264 blocks for 8 kv heads and one round), each read once for every query of
// a round.
constexpr int CHUNK_TK = 32;
constexpr int CHUNK_PART = 64;
constexpr int CHUNK_SMEM = 48 * 1024;

// Queries a warp of the chunk kernel holds (4, 2 or 1) for `queries` queries a kv head, or 0 where it does not serve:
// a head dim that is not a multiple of 32, or tiles that leave no room for one query a warp (float32 at head dim
// 256). Fewer when the queries would leave warps without any (one decode row's 2 queries take 2 warps, not 1).
int chunk_queries_per_warp(int D, mx::Dtype t, int queries) {
  if (D % 32 != 0) return 0;
  const int tiles = 2 * CHUNK_TK * (D + 16 / t.size()) * t.size();
  for (int qw = 4; qw >= 1; qw /= 2) {
    if (tiles + WARPS * qw * (D + CHUNK_TK) * 4 > CHUNK_SMEM) continue;  // queries and weights in float32
    while (qw > 1 && (qw / 2) * WARPS >= queries) qw /= 2;
    return qw;
  }
  return 0;
}

// VLLM_MLX_PAGED_CHUNK: unset, the chunk kernel takes groups of two or more rows of one block table; `off`, never;
// `decode`, also a lone decode row over CHUNK_DECODE_KEYS keys or more (its kv head's queries read each key once,
// and its partitions spread a long context over the card, where the decode kernel gives each query head one block).
enum class ChunkUse { rows, off, decode };
constexpr int CHUNK_DECODE_KEYS = 1024;

ChunkUse chunk_use() {
  static const ChunkUse use = [] {
    const char* v = std::getenv("VLLM_MLX_PAGED_CHUNK");
    if (v != nullptr && std::strcmp(v, "off") == 0) return ChunkUse::off;
    if (v != nullptr && std::strcmp(v, "decode") == 0) return ChunkUse::decode;
    return ChunkUse::rows;
  }();
  return use;
}

// Whether the chunk kernel takes this group: rows of one block table, or (under `decode`) one long row.
bool takes_chunk(const Args& a) {
  const int R = a.queries.shape(0);
  switch (chunk_use()) {
    case ChunkUse::off:
      return false;
    case ChunkUse::decode:
      if (R == 1 && a.block_tables.shape(1) * a.k_pool.shape(1) >= CHUNK_DECODE_KEYS) return true;
      [[fallthrough]];
    case ChunkUse::rows:
      return a.one_sequence && R > 1;
  }
  return false;
}

// Rows of one block table: partial states for each (partition, kv head, round of queries) from one read of its keys,
// merged.
mx::array launch_chunk(const Args& a, int qw, const mx::Stream& s) {
  const auto& q = a.queries;
  const int R = q.shape(0), Hq = q.shape(1), D = q.shape(3), Hkv = a.k_pool.shape(2);
  const int max_keys = a.block_tables.shape(1) * a.k_pool.shape(1);
  const int parts = (max_keys + CHUNK_PART - 1) / CHUNK_PART;
  const int rounds = (R * (Hq / Hkv) + WARPS * qw - 1) / (WARPS * qw);  // of WARPS * qw queries, a block each
  const int threads = 32 * WARPS;
  auto partial = chunk_kernel()(decode_inputs(a), {{R, Hq, parts, 2}, {R, Hq, parts, D}}, {mx::float32, mx::float32},
                                {threads * parts, Hkv, rounds}, {threads, 1, 1},
                                {{"T", q.dtype()}, {"D", D}, {"NW", WARPS}, {"TK", CHUNK_TK}, {"QW", qw},
                                 {"PART", CHUNK_PART}, {"SCALE_BITS", bits_of(a.scale)},
                                 {"SOFTCAP_BITS", bits_of(a.softcap.value_or(0.0f))}, {"WINDOW", a.window.value_or(0)}},
                                std::nullopt, false, s);
  return merge(partial, q, s);
}

mx::array launch_serial(const Args& a, const mx::Stream& s) {
  const auto& q = a.queries;
  const int B = q.shape(0), Hq = q.shape(1), D = q.shape(3);
  const int nsg = serial_warps(a.block_tables.shape(1) * a.k_pool.shape(1));
  const int threads = 32 * nsg;
  return serial_kernel()(decode_inputs(a), {q.shape()}, {q.dtype()},
                         {threads, Hq, B}, {threads, 1, 1},
                         {{"T", q.dtype()}, {"D", D}, {"NSG", nsg}, {"SCALE_BITS", bits_of(a.scale)},
                          {"SOFTCAP_BITS", bits_of(a.softcap.value_or(0.0f))}, {"WINDOW", a.window.value_or(0)}},
                         std::nullopt, false, s)[0];
}

}  // namespace

mx::array launch_decode(const Args& a, const mx::Stream& s) {
  const auto& q = a.queries;
  if (takes_chunk(a)) {
    const int queries = q.shape(0) * (q.shape(1) / a.k_pool.shape(2));
    if (const int qw = chunk_queries_per_warp(q.shape(3), q.dtype(), queries); qw > 0) return launch_chunk(a, qw, s);
  }
  if (!split_asked()) return launch_serial(a, s);
  const int B = q.shape(0), Hq = q.shape(1), D = q.shape(3);
  const int max_keys = a.block_tables.shape(1) * a.k_pool.shape(1);
  const int parts = (max_keys + PARTITION - 1) / PARTITION;
  const int threads = 32 * WARPS;
  std::vector<std::pair<std::string, mx::fast::TemplateArg>> constants = {
      {"T", q.dtype()},
      {"D", D},
      {"NW", WARPS},
      {"SCALE_BITS", bits_of(a.scale)},
      {"SOFTCAP_BITS", bits_of(a.softcap.value_or(0.0f))},
      {"WINDOW", a.window.value_or(0)}};
  const auto inputs = decode_inputs(a);
  if (parts <= 1) {
    return decode_kernel()(inputs, {q.shape()}, {q.dtype()}, {threads, Hq, B}, {threads, 1, 1}, constants,
                           std::nullopt, false, s)[0];
  }
  constants.push_back({"PART", PARTITION});
  auto partial = partition_kernel()(inputs, {{B, Hq, parts, 2}, {B, Hq, parts, D}}, {mx::float32, mx::float32},
                                    {threads * parts, Hq, B}, {threads, 1, 1}, constants, std::nullopt, false, s);
  return merge(partial, q, s);
}

}  // namespace vmlx::paged
