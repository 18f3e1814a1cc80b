// SPDX-License-Identifier: Apache-2.0
// The lock taken on every load and release (the image registry's writers,
// the address arena, the backends' ledgers): the C++ library's mutex under
// Abseil's thread-safety annotations, not absl::Mutex. Debian builds its
// libabsl without NDEBUG, and such an absl::Mutex checks lock order for
// deadlocks on every acquisition: about 300 instructions more a lock and
// unlock (callgrind, a warm Guile load taking the registry's lock twice).
// Critical sections here are short. Not constexpr-constructible everywhere
// (winpthreads' is not): a lock needed before static initializers have run
// is made on first use.
#ifndef GRANULE_PLATFORM_MUTEX_H_
#define GRANULE_PLATFORM_MUTEX_H_

#include <mutex>

#include "absl/base/thread_annotations.h"

namespace granule {

class ABSL_LOCKABLE Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { mutex_.lock(); }
  void Unlock() ABSL_UNLOCK_FUNCTION() { mutex_.unlock(); }

 private:
  std::mutex mutex_;
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
