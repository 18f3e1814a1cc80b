// SPDX-License-Identifier: Apache-2.0
// The strict simulated machine (platform/memory/simulated_backend.h) with what only
// tests need: it counts its raw calls and can be told to fail the k-th one,
// so a test can walk every error path of whatever runs on it and check the
// ledger afterwards.
#ifndef GRANULE_TESTING_FAULT_INJECTING_BACKEND_H_
#define GRANULE_TESTING_FAULT_INJECTING_BACKEND_H_

#include <cstdint>
#include <functional>
#include <memory>

#include "absl/synchronization/mutex.h"
#include "platform/memory/simulated_backend.h"
#include "platform/memory/simulated_machines.h"

namespace granule::testing {

class FaultInjectingBackend final : public SimulatedBackend {
 public:
  using SimulatedBackend::SimulatedBackend;

  // Raw calls made so far (reserve, map file, map zeroed, protect, populate;
  // release is never failed, as it runs in destructors).
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
  // 0 disarms a failure not reached yet.
  void FailNthCallFromNow(uint64_t n);

 protected:
  absl::StatusOr<uintptr_t> ReserveRaw(size_t size, size_t alignment) override;
  absl::Status MapFileRaw(uintptr_t address, const File& file,
                          uint64_t file_offset, size_t length,
                          Protection protection) override;
  absl::Status MapZeroedRaw(uintptr_t address, size_t length,
                            Protection protection) override;
  absl::Status ProtectRaw(uintptr_t address, size_t length,
                          Protection protection, bool file_backed) override;
  absl::Status PopulateRaw(uintptr_t address, size_t length) override;
  absl::Status AdviseRaw(uintptr_t address, size_t length,
                         AccessAdvice advice) override;

 private:
  // Counts the call, and fails it when it is the chosen one.
  absl::Status Count(const char* operation, bool populate = false);

  mutable absl::Mutex mutex_;
  uint64_t calls_ ABSL_GUARDED_BY(mutex_) = 0;
  uint64_t fail_at_ ABSL_GUARDED_BY(mutex_) = 0;  // 0: no failure planned.
  uint64_t populate_calls_ ABSL_GUARDED_BY(mutex_) = 0;
  uint64_t advise_calls_ ABSL_GUARDED_BY(mutex_) = 0;
  bool fail_advice_ ABSL_GUARDED_BY(mutex_) = false;
};

// A fresh backend presenting `machine`'s geometry.
std::unique_ptr<FaultInjectingBackend> MakeFaultInjectingBackend(
    const SimulatedMachine& machine);

// Runs `test` once for each simulated machine whose view granule runs under
// (SimulatedMachine::granule_runs_this_view), each time with a fresh
// backend of that machine; a failure inside names the machine.
void ForEachMachineGranuleRuns(
    const std::function<void(const SimulatedMachine& machine,
                             FaultInjectingBackend& backend)>& test);

}  // namespace granule::testing

#endif  // GRANULE_TESTING_FAULT_INJECTING_BACKEND_H_
