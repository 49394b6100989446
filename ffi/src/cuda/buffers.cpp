// The pools behind buffers.h.
#include "buffers.h"

#include <algorithm>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "driver.h"

namespace vmlx::cuda::buffers {

namespace {

using driver::check;

// Free buffers by size, up to `limit` bytes in all; thread-safe (arrays die on MLX's completion thread too).
class FreeList {
 public:
  explicit FreeList(size_t limit) : limit_(limit) {}

  // A kept buffer of exactly `size` bytes, or nullptr.
  void* take(size_t size) {
    std::lock_guard lock(mutex_);
    auto it = free_.find(size);
    if (it == free_.end() || it->second.empty()) return nullptr;
    void* p = it->second.back();
    it->second.pop_back();
    cached_ -= size;
    return p;
  }

  // Every kept buffer with its size, the list left empty.
  std::vector<std::pair<void*, size_t>> drain() {
    std::lock_guard lock(mutex_);
    std::vector<std::pair<void*, size_t>> out;
    for (auto& [size, ptrs] : free_) {
      for (void* p : ptrs) out.emplace_back(p, size);
    }
    free_.clear();
    cached_ = 0;
    return out;
  }

  // Keeps `p` unless that would pass the limit; false means the caller frees it.
  bool keep(void* p, size_t size) {
    std::lock_guard lock(mutex_);
    if (cached_ + size > limit_) return false;
    free_[size].push_back(p);
    cached_ += size;
    return true;
  }

 private:
  const size_t limit_;
  std::mutex mutex_;
  std::unordered_map<size_t, std::vector<void*>> free_;
  size_t cached_ = 0;
};

// Sizes as MLX's allocator rounds them: powers of two from 256 bytes below a page, whole pages above.
size_t rounded(size_t n) {
  if (n <= 256) return 256;
  if (n < 4096) {
    size_t p = 256;
    while (p < n) p <<= 1;
    return p;
  }
  return (n + 4095) & ~size_t(4095);
}

// Never destroyed: buffers may come back while the process exits.
FreeList& device_list() {
  static FreeList* l = new FreeList(size_t(256) << 20);
  return *l;
}

FreeList& pinned_list() {
  static FreeList* l = new FreeList(size_t(64) << 20);
  return *l;
}

// A device buffer of ours back to the driver's pool (stream-ordered, as allocated; the device is done with it).
void free_device(void* p, int device) {
  mx::cu::device(mx::Device(mx::Device::gpu, device)).make_current();
  driver::api().mem_free_async(reinterpret_cast<CUdeviceptr>(p), nullptr);
}

void give_device(mx::allocator::Buffer b) {
  auto* buf = static_cast<mx::cu::CudaBuffer*>(b.ptr());
  if (buf->data != nullptr && buf->device >= 0) {
    if (!device_list().keep(buf->data, buf->size)) free_device(buf->data, buf->device);
  } else if (buf->data != nullptr) {
    // device -1: MLX moved it to managed memory for a host read (and freed ours). Its copy is managed memory, or
    // pinned host memory where the device has no concurrent managed access.
    mx::cu::device(mx::Device(mx::Device::gpu, 0)).make_current();
    if (driver::api().mem_free(reinterpret_cast<CUdeviceptr>(buf->data)) != CUDA_SUCCESS) {
      driver::api().mem_free_host(buf->data);
    }
  }
  delete buf;
}

void give_pinned(mx::allocator::Buffer b) {
  auto* buf = static_cast<mx::cu::CudaBuffer*>(b.ptr());
  if (!pinned_list().keep(buf->data, buf->size)) driver::api().mem_free_host(buf->data);
  delete buf;
}

}  // namespace

mx::allocator::Data device(size_t nbytes, mx::cu::CommandEncoder& enc) {
  auto* buf = new mx::cu::CudaBuffer{nullptr, 0, -1};
  if (nbytes > 0) {
    buf->size = rounded(nbytes);
    buf->device = enc.device().cuda_device();
    buf->data = device_list().take(buf->size);
    if (buf->data == nullptr) {
      enc.device().make_current();
      CUdeviceptr p = 0;
      // Stream-ordered on the encoder's stream, as MLX allocates its own kernels' outputs (and frees them)
      check(driver::api().mem_alloc(&p, buf->size, static_cast<CUstream>(static_cast<cudaStream_t>(enc.stream()))),
            "cuMemAllocAsync");
      buf->data = reinterpret_cast<void*>(p);
    }
  }
  return mx::allocator::Data(mx::allocator::Buffer(buf), give_device);
}

mx::allocator::Data pinned(size_t nbytes, const mx::Stream& s) {
  const size_t size = (std::max<size_t>(nbytes, 1) + 4095) & ~size_t(4095);
  auto* buf = new mx::cu::CudaBuffer{pinned_list().take(size), size, -1};
  if (buf->data == nullptr) {
    mx::cu::device(s.device).make_current();
    check(driver::api().host_alloc(&buf->data, size, CU_MEMHOSTALLOC_PORTABLE | CU_MEMHOSTALLOC_DEVICEMAP),
          "cuMemHostAlloc");
  }
  return mx::allocator::Data(mx::allocator::Buffer(buf), give_pinned);
}

void release_cached() {
  // (one device: MLX's CUDA backend runs on device 0)
  for (auto [p, size] : device_list().drain()) free_device(p, 0);
  for (auto [p, size] : pinned_list().drain()) driver::api().mem_free_host(p);
}

}  // namespace vmlx::cuda::buffers
