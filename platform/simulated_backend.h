// SPDX-License-Identifier: Apache-2.0
// A strict simulated machine: any page size and allocation granularity, on
// heap memory, so every test can meet a foreign platform's rules here.
//
// It rejects what that platform's kernel would (Region applies the rules to
// every backend; here they bite at 16 KiB, 64 KiB or 256 KiB pages on a 4 KiB
// host), keeps the ledger of live regions and mappings, and can be told to fail
// its k-th raw call so tests can walk every error path. Memory is real and
// writable; protections are recorded, not enforced, as with malloc.
#ifndef GRANULE_PLATFORM_SIMULATED_BACKEND_H_
#define GRANULE_PLATFORM_SIMULATED_BACKEND_H_

#include <cstdint>

#include "absl/synchronization/mutex.h"
#include "platform/malloc_backend.h"

namespace granule {

class SimulatedBackend final : public MallocBackend {
 public:
  explicit SimulatedBackend(PageGeometry geometry) : geometry_(geometry) {}

  const BackendTraits& traits() const override;
  PageGeometry geometry() const override { return geometry_; }

  // Raw calls made so far (reserve, map file, map zeroed, protect; release is
  // never failed, as it runs in destructors).
  uint64_t calls() const;
  // Of those, how many were Region::Populate's (LoadOptions::
  // populate_writable): recorded, as heap memory needs no faulting in.
  uint64_t populate_calls() const;
  // Region::Advise calls that reached the backend: recorded apart from
  // calls(), as advice is a hint a loader ignores when it fails.
  uint64_t advise_calls() const;
  // Makes every advice from now on fail (or succeed again) with UNAVAILABLE.
  void FailAdvice(bool fail);
  // Makes the n-th raw call from now (n >= 1) fail with UNAVAILABLE. Once.
  void FailNthCallFromNow(uint64_t n);

 protected:
  // Counts the call, and fails it when it is the chosen one.
  absl::Status BeforeRawCall(const char* operation) override;
  absl::Status AdviseRaw(uintptr_t address, size_t length,
                         AccessAdvice advice) override;

 private:
  const PageGeometry geometry_;
  mutable absl::Mutex mutex_;
  uint64_t calls_ ABSL_GUARDED_BY(mutex_) = 0;
  uint64_t fail_at_ ABSL_GUARDED_BY(mutex_) = 0;  // 0: no failure planned.
  uint64_t populate_calls_ ABSL_GUARDED_BY(mutex_) = 0;
  uint64_t advise_calls_ ABSL_GUARDED_BY(mutex_) = 0;
  bool fail_advice_ ABSL_GUARDED_BY(mutex_) = false;
};

}  // namespace granule

#endif  // GRANULE_PLATFORM_SIMULATED_BACKEND_H_
