// Lock-free single-producer / single-consumer queues (wait-free, allocation-free
// after construction). One thread may write and one (other) thread may read
// concurrently; Reset() only while neither is active.
//
//   SpscRing<T>:  a ring of T values written and read in bulk (audio samples).
//   SpscSlots<T>: a ring of fixed-size slots filled in place (packets):
//                 producer: T* s = q.BeginWrite(); ...fill...; q.CommitWrite();
//                 consumer: const T* s = q.BeginRead(); ...use...; q.CommitRead();
//
// Positions are monotonically increasing 64-bit counters (no wrap in practice),
// published with release stores and read with acquire loads.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <type_traits>

namespace sscodec {

inline constexpr size_t kCacheLine = 64;

template <typename T>
class SpscRing {
  static_assert(std::is_trivially_copyable<T>::value, "SpscRing holds trivially copyable values");

 public:
  explicit SpscRing(size_t capacity)
      : cap_(capacity ? capacity : 1), buf_(new (std::nothrow) T[cap_]()) {}
  bool ok() const { return buf_ != nullptr; }
  size_t capacity() const { return cap_; }

  // Producer side.
  size_t write_available() const {
    return cap_ - static_cast<size_t>(head_.load(std::memory_order_relaxed) -
                                      tail_.load(std::memory_order_acquire));
  }
  // Writes min(n, write_available()) values; returns how many.
  size_t Write(const T* src, size_t n) {
    const uint64_t h = head_.load(std::memory_order_relaxed);
    const size_t room = cap_ - static_cast<size_t>(h - tail_.load(std::memory_order_acquire));
    n = std::min(n, room);
    if (n == 0) return 0;
    const size_t at = static_cast<size_t>(h % cap_);
    const size_t first = std::min(n, cap_ - at);
    std::memcpy(buf_.get() + at, src, first * sizeof(T));
    if (n > first) std::memcpy(buf_.get(), src + first, (n - first) * sizeof(T));
    head_.store(h + n, std::memory_order_release);
    return n;
  }
  // Writes n copies of `value` (at most write_available()); returns how many.
  size_t Fill(const T& value, size_t n) {
    const uint64_t h = head_.load(std::memory_order_relaxed);
    const size_t room = cap_ - static_cast<size_t>(h - tail_.load(std::memory_order_acquire));
    n = std::min(n, room);
    for (size_t i = 0; i < n; ++i) buf_[static_cast<size_t>((h + i) % cap_)] = value;
    head_.store(h + n, std::memory_order_release);
    return n;
  }
  uint64_t written() const { return head_.load(std::memory_order_relaxed); }  // producer's view

  // Consumer side.
  size_t read_available() const {
    return static_cast<size_t>(head_.load(std::memory_order_acquire) -
                               tail_.load(std::memory_order_relaxed));
  }
  size_t Read(T* dst, size_t n) {
    const uint64_t t = tail_.load(std::memory_order_relaxed);
    const size_t avail = static_cast<size_t>(head_.load(std::memory_order_acquire) - t);
    n = std::min(n, avail);
    if (n == 0) return 0;
    const size_t at = static_cast<size_t>(t % cap_);
    const size_t first = std::min(n, cap_ - at);
    std::memcpy(dst, buf_.get() + at, first * sizeof(T));
    if (n > first) std::memcpy(dst + first, buf_.get(), (n - first) * sizeof(T));
    tail_.store(t + n, std::memory_order_release);
    return n;
  }
  uint64_t read() const { return tail_.load(std::memory_order_relaxed); }  // consumer's view

  void Reset() {
    head_.store(0, std::memory_order_relaxed);
    tail_.store(0, std::memory_order_relaxed);
  }

 private:
  const size_t cap_;
  std::unique_ptr<T[]> buf_;
  alignas(kCacheLine) std::atomic<uint64_t> head_{0};  // total written
  alignas(kCacheLine) std::atomic<uint64_t> tail_{0};  // total read
};

template <typename T>
class SpscSlots {
 public:
  explicit SpscSlots(size_t capacity)
      : cap_(capacity ? capacity : 1), slots_(new (std::nothrow) T[cap_]()) {}
  bool ok() const { return slots_ != nullptr; }
  size_t capacity() const { return cap_; }

  // Producer: a free slot to fill, or nullptr if the queue is full.
  T* BeginWrite() {
    const uint64_t h = head_.load(std::memory_order_relaxed);
    if (h - tail_.load(std::memory_order_acquire) >= cap_) return nullptr;
    return &slots_[static_cast<size_t>(h % cap_)];
  }
  void CommitWrite() { head_.store(head_.load(std::memory_order_relaxed) + 1, std::memory_order_release); }

  // Consumer: the oldest filled slot, or nullptr if empty.
  const T* BeginRead() const {
    const uint64_t t = tail_.load(std::memory_order_relaxed);
    if (head_.load(std::memory_order_acquire) == t) return nullptr;
    return &slots_[static_cast<size_t>(t % cap_)];
  }
  void CommitRead() { tail_.store(tail_.load(std::memory_order_relaxed) + 1, std::memory_order_release); }

  size_t size() const {
    return static_cast<size_t>(head_.load(std::memory_order_acquire) -
                               tail_.load(std::memory_order_acquire));
  }
  void Reset() {
    head_.store(0, std::memory_order_relaxed);
    tail_.store(0, std::memory_order_relaxed);
  }

 private:
  const size_t cap_;
  std::unique_ptr<T[]> slots_;
  alignas(kCacheLine) std::atomic<uint64_t> head_{0};
  alignas(kCacheLine) std::atomic<uint64_t> tail_{0};
};

}  // namespace sscodec
