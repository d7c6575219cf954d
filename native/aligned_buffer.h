// Owned, zero-initialised host memory aligned for LiteRT tensor buffers.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace sscodec {

class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  // `size` bytes usable, start aligned to `alignment` (a power of two >= 8).
  // Returns an empty buffer (data() == nullptr) if allocation fails.
  AlignedBuffer(size_t size, size_t alignment) {
    size_t rounded = (size + alignment - 1) / alignment * alignment;
    if (rounded == 0) rounded = alignment;
    void* p = nullptr;
    if (posix_memalign(&p, alignment, rounded) == 0) {
      std::memset(p, 0, rounded);
      data_ = p;
      size_ = rounded;
    }
  }
  ~AlignedBuffer() { std::free(data_); }
  AlignedBuffer(AlignedBuffer&& o) noexcept
      : data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)) {}
  AlignedBuffer& operator=(AlignedBuffer&& o) noexcept {
    if (this != &o) {
      std::free(data_);
      data_ = std::exchange(o.data_, nullptr);
      size_ = std::exchange(o.size_, 0);
    }
    return *this;
  }
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;

  void* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  void* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace sscodec
