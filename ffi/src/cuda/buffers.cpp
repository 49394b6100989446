// The pools behind buffers.h.
#include "buffers.h"

#include <mutex>
#include <unordered_map>
#include <vector>

#include "driver.h"

namespace vmlx::cuda::buffers {

namespace {

using driver::check;

class Pool {
 public:
  static constexpr size_t CACHE_BYTES = size_t(256) << 20;

  mx::allocator::Data take(size_t nbytes, mx::cu::CommandEncoder& enc) {
    auto* buf = new mx::cu::CudaBuffer{nullptr, 0, -1};
    if (nbytes > 0) {
      const size_t size = rounded(nbytes);
      buf->size = size;
      buf->device = enc.device().cuda_device();
      std::unique_lock lock(mutex_);
      auto it = free_.find(size);
      if (it != free_.end() && !it->second.empty()) {
        buf->data = it->second.back();
        it->second.pop_back();
        cached_ -= size;
      } else {
        lock.unlock();
        enc.device().make_current();
        CUdeviceptr p = 0;
        // Stream-ordered on the encoder's stream, as MLX allocates its own kernels' outputs (and frees them)
        check(driver::api().mem_alloc(&p, size, static_cast<CUstream>(static_cast<cudaStream_t>(enc.stream()))),
              "cuMemAllocAsync");
        buf->data = reinterpret_cast<void*>(p);
      }
    }
    return mx::allocator::Data(mx::allocator::Buffer(buf), [this](mx::allocator::Buffer b) { give(b); });
  }

 private:
  static size_t rounded(size_t n) {
    if (n <= 256) return 256;
    if (n < 4096) {
      size_t p = 256;
      while (p < n) p <<= 1;
      return p;
    }
    return (n + 4095) & ~size_t(4095);
  }

  void give(mx::allocator::Buffer b) {
    auto* buf = static_cast<mx::cu::CudaBuffer*>(b.ptr());
    if (buf->data != nullptr) {
      // device -1: MLX moved it to managed memory for a host read (and freed ours); not one of ours any more.
      bool keep = buf->device >= 0;
      if (keep) {
        std::lock_guard lock(mutex_);
        keep = cached_ + buf->size <= CACHE_BYTES;
        if (keep) {
          free_[buf->size].push_back(buf->data);
          cached_ += buf->size;
        }
      }
      if (!keep) {
        // (device -1 is MLX's managed copy, or pinned host memory where the device has no concurrent managed
        // access; either is freed in the device's context)
        mx::cu::device(mx::Device(mx::Device::gpu, buf->device >= 0 ? buf->device : 0)).make_current();
        if (driver::api().mem_free(reinterpret_cast<CUdeviceptr>(buf->data)) != CUDA_SUCCESS && buf->device < 0) {
          driver::api().mem_free_host(buf->data);
        }
      }
    }
    delete buf;
  }

  std::mutex mutex_;
  std::unordered_map<size_t, std::vector<void*>> free_;
  size_t cached_ = 0;
};

Pool& pool() {
  static Pool* p = new Pool();  // never destroyed: buffers may come back while the process exits
  return *p;
}

// Pinned host buffers kept by size (device -1 in MLX's terms: it reads them in place, as its managed memory).
class PinnedPool {
 public:
  static constexpr size_t CACHE_BYTES = size_t(64) << 20;

  mx::allocator::Data take(size_t nbytes, const mx::Stream& s) {
    const size_t size = (std::max<size_t>(nbytes, 1) + 4095) & ~size_t(4095);
    auto* buf = new mx::cu::CudaBuffer{nullptr, size, -1};
    {
      std::lock_guard lock(mutex_);
      auto it = free_.find(size);
      if (it != free_.end() && !it->second.empty()) {
        buf->data = it->second.back();
        it->second.pop_back();
        cached_ -= size;
      }
    }
    if (buf->data == nullptr) {
      mx::cu::device(s.device).make_current();
      check(driver::api().host_alloc(&buf->data, size, CU_MEMHOSTALLOC_PORTABLE | CU_MEMHOSTALLOC_DEVICEMAP),
            "cuMemHostAlloc");
    }
    return mx::allocator::Data(mx::allocator::Buffer(buf), [this](mx::allocator::Buffer b) { give(b); });
  }

 private:
  void give(mx::allocator::Buffer b) {
    auto* buf = static_cast<mx::cu::CudaBuffer*>(b.ptr());
    bool keep;
    {
      std::lock_guard lock(mutex_);
      keep = cached_ + buf->size <= CACHE_BYTES;
      if (keep) {
        free_[buf->size].push_back(buf->data);
        cached_ += buf->size;
      }
    }
    if (!keep) driver::api().mem_free_host(buf->data);
    delete buf;
  }

  std::mutex mutex_;
  std::unordered_map<size_t, std::vector<void*>> free_;
  size_t cached_ = 0;
};

PinnedPool& pinned_pool() {
  static PinnedPool* p = new PinnedPool();
  return *p;
}

}  // namespace

mx::allocator::Data device(size_t nbytes, mx::cu::CommandEncoder& enc) { return pool().take(nbytes, enc); }

mx::allocator::Data pinned(size_t nbytes, const mx::Stream& s) { return pinned_pool().take(nbytes, s); }

}  // namespace vmlx::cuda::buffers
