#include "platform/simulated_backend.h"

#include "absl/strings/str_format.h"

namespace granule {

const BackendTraits& SimulatedBackend::traits() const {
  // The strictest combination: nothing a real backend might lack is assumed.
  static constexpr BackendTraits kTraits = {
      /*name=*/"simulated",
      /*can_release_partially=*/false,
      /*fixed_placement_reliable=*/true,
      /*enforces_protection=*/false,
      /*shares_file_pages=*/false,
  };
  return kTraits;
}

uint64_t SimulatedBackend::calls() const {
  absl::MutexLock lock(&mutex_);
  return calls_;
}

void SimulatedBackend::FailNthCallFromNow(uint64_t n) {
  absl::MutexLock lock(&mutex_);
  fail_at_ = n == 0 ? 0 : calls_ + n;
}

absl::Status SimulatedBackend::CountCall(const char* operation) {
  absl::MutexLock lock(&mutex_);
  ++calls_;
  if (calls_ != fail_at_) return absl::OkStatus();
  fail_at_ = 0;
  return absl::UnavailableError(absl::StrFormat(
      "simulated: injected failure of %s (call %u)", operation, calls_));
}

absl::StatusOr<uintptr_t> SimulatedBackend::ReserveRaw(size_t size,
                                                       size_t alignment) {
  if (absl::Status s = CountCall("reserve"); !s.ok()) return s;
  return MallocBackend::ReserveRaw(size, alignment);
}

absl::Status SimulatedBackend::MapFileRaw(uintptr_t address, const File& file,
                                          uint64_t file_offset, size_t length,
                                          Protection protection) {
  if (absl::Status s = CountCall("map file"); !s.ok()) return s;
  return MallocBackend::MapFileRaw(address, file, file_offset, length,
                                   protection);
}

absl::Status SimulatedBackend::MapZeroedRaw(uintptr_t address, size_t length,
                                            Protection protection) {
  if (absl::Status s = CountCall("map zeroed"); !s.ok()) return s;
  return MallocBackend::MapZeroedRaw(address, length, protection);
}

absl::Status SimulatedBackend::ProtectRaw(uintptr_t address, size_t length,
                                          Protection protection,
                                          bool file_backed) {
  if (absl::Status s = CountCall("protect"); !s.ok()) return s;
  return MallocBackend::ProtectRaw(address, length, protection, file_backed);
}

}  // namespace granule
