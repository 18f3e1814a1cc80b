// SPDX-License-Identifier: Apache-2.0
// The lock taken on every load and release (the image registry's writers,
// the address arena, the backends' ledgers). On Linux and the BSDs it is the
// C++ library's mutex under Abseil's thread-safety annotations, not
// absl::Mutex: Debian builds its libabsl without NDEBUG, and such an
// absl::Mutex checks lock order for deadlocks on every acquisition: about
// 300 instructions more a lock and unlock (callgrind, a warm Guile load
// taking the registry's lock twice). Where the C++ library's mutex cannot
// be constant-initialized (winpthreads on Windows, Cygwin) it stays
// absl::Mutex, which there comes from Abseil's source. Critical sections
// here are short.
#ifndef GRANULE_PLATFORM_MUTEX_H_
#define GRANULE_PLATFORM_MUTEX_H_

#include <mutex>

#include "absl/base/const_init.h"
#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace granule {

class ABSL_LOCKABLE Mutex {
 public:
#if defined(_WIN32) || defined(__CYGWIN__)
  constexpr Mutex() : mutex_(absl::kConstInit) {}
  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { mutex_.Lock(); }
  void Unlock() ABSL_UNLOCK_FUNCTION() { mutex_.Unlock(); }
#else
  constexpr Mutex() = default;
  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { mutex_.lock(); }
  void Unlock() ABSL_UNLOCK_FUNCTION() { mutex_.unlock(); }
#endif
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

 private:
#if defined(_WIN32) || defined(__CYGWIN__)
  absl::Mutex mutex_;
#else
  std::mutex mutex_;
#endif
};

class ABSL_SCOPED_LOCKABLE MutexLock {
 public:
  explicit MutexLock(Mutex* mutex) ABSL_EXCLUSIVE_LOCK_FUNCTION(mutex)
      : mutex_(mutex) {
    mutex_->Lock();
  }
  ~MutexLock() ABSL_UNLOCK_FUNCTION() { mutex_->Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* const mutex_;
};

}  // namespace granule

#endif  // GRANULE_PLATFORM_MUTEX_H_
