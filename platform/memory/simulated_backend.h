// SPDX-License-Identifier: Apache-2.0
// A strict simulated machine: any page size and allocation granularity, on
// heap memory, so a foreign platform's rules can be met here (the tests, and
// the command's demo of other machines).
//
// It rejects what that platform's kernel would (Region applies the rules to
// every backend; here they bite at 16 KiB, 64 KiB or 256 KiB pages on a 4 KiB
// host) and keeps the ledger of live regions and mappings. Memory is real and
// writable; protections are recorded, not enforced, as with malloc. Tests
// that fail its calls one by one use testing/fault_injecting_backend.h.
#ifndef GRANULE_PLATFORM_MEMORY_SIMULATED_BACKEND_H_
#define GRANULE_PLATFORM_MEMORY_SIMULATED_BACKEND_H_

#include "platform/memory/malloc_backend.h"

namespace granule {

class SimulatedBackend : public MallocBackend {
 public:
  explicit SimulatedBackend(PageGeometry geometry) : geometry_(geometry) {}

  const BackendTraits& traits() const override;
  PageGeometry geometry() const override { return geometry_; }

 private:
  const PageGeometry geometry_;
};

}  // namespace granule

#endif  // GRANULE_PLATFORM_MEMORY_SIMULATED_BACKEND_H_
