// SPDX-License-Identifier: Apache-2.0
#include "platform/simulated_backend.h"

#include <string_view>

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
      /*carves_reservations=*/true,
  };
  return kTraits;
}

uint64_t SimulatedBackend::calls() const {
  absl::MutexLock lock(&mutex_);
  return calls_;
}

uint64_t SimulatedBackend::populate_calls() const {
  absl::MutexLock lock(&mutex_);
  return populate_calls_;
}

uint64_t SimulatedBackend::advise_calls() const {
  absl::MutexLock lock(&mutex_);
  return advise_calls_;
}

void SimulatedBackend::FailAdvice(bool fail) {
  absl::MutexLock lock(&mutex_);
  fail_advice_ = fail;
}

absl::Status SimulatedBackend::AdviseRaw(uintptr_t address, size_t length,
                                         AccessAdvice advice) {
  absl::MutexLock lock(&mutex_);
  ++advise_calls_;
  if (!fail_advice_) return absl::OkStatus();
  return absl::UnavailableError(
      absl::StrFormat("simulated: injected failure of advise %s (%#x, %u)",
                      AccessAdviceName(advice), address, length));
}

void SimulatedBackend::FailNthCallFromNow(uint64_t n) {
  absl::MutexLock lock(&mutex_);
  fail_at_ = n == 0 ? 0 : calls_ + n;
}

absl::Status SimulatedBackend::BeforeRawCall(const char* operation) {
  absl::MutexLock lock(&mutex_);
  ++calls_;
  if (std::string_view(operation) == "populate") ++populate_calls_;
  if (calls_ != fail_at_) return absl::OkStatus();
  fail_at_ = 0;
  return absl::UnavailableError(absl::StrFormat(
      "simulated: injected failure of %s (call %u)", operation, calls_));
}

}  // namespace granule
