// SPDX-License-Identifier: Apache-2.0
#include "testing/fault_injecting_backend.h"

#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "platform/status_macros.h"

namespace granule::testing {

uint64_t FaultInjectingBackend::calls() const {
  absl::MutexLock lock(&mutex_);
  return calls_;
}

uint64_t FaultInjectingBackend::populate_calls() const {
  absl::MutexLock lock(&mutex_);
  return populate_calls_;
}

uint64_t FaultInjectingBackend::advise_calls() const {
  absl::MutexLock lock(&mutex_);
  return advise_calls_;
}

void FaultInjectingBackend::FailAdvice(bool fail) {
  absl::MutexLock lock(&mutex_);
  fail_advice_ = fail;
}

void FaultInjectingBackend::FailNthCallFromNow(uint64_t n) {
  absl::MutexLock lock(&mutex_);
  fail_at_ = n == 0 ? 0 : calls_ + n;
}

absl::Status FaultInjectingBackend::Count(const char* operation,
                                          bool populate) {
  absl::MutexLock lock(&mutex_);
  ++calls_;
  if (populate) ++populate_calls_;
  if (calls_ != fail_at_) return absl::OkStatus();
  fail_at_ = 0;
  return absl::UnavailableError(absl::StrFormat(
      "simulated: injected failure of %s (call %u)", operation, calls_));
}

absl::StatusOr<uintptr_t> FaultInjectingBackend::ReserveRaw(size_t size,
                                                            size_t alignment) {
  GRANULE_RETURN_IF_ERROR(Count("reserve"));
  return SimulatedBackend::ReserveRaw(size, alignment);
}

absl::Status FaultInjectingBackend::MapFileRaw(uintptr_t address,
                                               const File& file,
                                               uint64_t file_offset,
                                               size_t length,
                                               Protection protection) {
  GRANULE_RETURN_IF_ERROR(Count("map file"));
  return SimulatedBackend::MapFileRaw(address, file, file_offset, length,
                                      protection);
}

absl::Status FaultInjectingBackend::MapZeroedRaw(uintptr_t address,
                                                 size_t length,
                                                 Protection protection) {
  GRANULE_RETURN_IF_ERROR(Count("map zeroed"));
  return SimulatedBackend::MapZeroedRaw(address, length, protection);
}

absl::Status FaultInjectingBackend::ProtectRaw(uintptr_t address,
                                               size_t length,
                                               Protection protection,
                                               bool file_backed) {
  GRANULE_RETURN_IF_ERROR(Count("protect"));
  return SimulatedBackend::ProtectRaw(address, length, protection,
                                      file_backed);
}

absl::Status FaultInjectingBackend::PopulateRaw(uintptr_t address,
                                                size_t length) {
  GRANULE_RETURN_IF_ERROR(Count("populate", /*populate=*/true));
  return SimulatedBackend::PopulateRaw(address, length);
}

absl::Status FaultInjectingBackend::AdviseRaw(uintptr_t address, size_t length,
                                              AccessAdvice advice) {
  absl::MutexLock lock(&mutex_);
  ++advise_calls_;
  if (!fail_advice_) return absl::OkStatus();
  return absl::UnavailableError(
      absl::StrFormat("simulated: injected failure of advise %s (%#x, %u)",
                      AccessAdviceName(advice), address, length));
}

std::unique_ptr<FaultInjectingBackend> MakeFaultInjectingBackend(
    const SimulatedMachine& machine) {
  return std::make_unique<FaultInjectingBackend>(machine.geometry());
}

void ForEachMachineGranuleRuns(
    const std::function<void(const SimulatedMachine& machine,
                             FaultInjectingBackend& backend)>& test) {
  int machines = 0;
  for (const SimulatedMachine& machine : SimulatedMachines()) {
    if (!machine.granule_runs_this_view) continue;
    SCOPED_TRACE(machine.name);
    test(machine, *MakeFaultInjectingBackend(machine));
    ++machines;
  }
  // A table that lost every such machine would pass every caller unseen.
  EXPECT_GT(machines, 1);
}

}  // namespace granule::testing
