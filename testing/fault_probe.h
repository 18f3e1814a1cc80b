// SPDX-License-Identifier: Apache-2.0
// Asks the hardware whether an access faults, without dying: the access runs
// under a temporary SIGSEGV/SIGBUS handler that jumps back out (a vectored
// exception handler on Windows). Used to prove that a protection really is
// enforced, not just recorded.
#ifndef GRANULE_TESTING_FAULT_PROBE_H_
#define GRANULE_TESTING_FAULT_PROBE_H_

#include <cstdint>
#include <vector>

namespace granule::testing {

// True if reading one byte at `address` faults.
bool ReadFaults(const void* address);
// True if writing one byte at `address` faults. When it does not fault the
// byte's value is written back unchanged.
bool WriteFaults(void* address);

// The bytes of one instruction that returns to the caller on this machine,
// so a test can place a function that does nothing but return. Empty where
// the probe does not know the machine's instruction set.
std::vector<uint8_t> ReturnInstruction();
// True if calling `address` as a function faults. The bytes there must be
// ReturnInstruction(), so that where the page is executable the call comes
// straight back.
bool ExecuteFaults(const void* address);

}  // namespace granule::testing

#endif  // GRANULE_TESTING_FAULT_PROBE_H_
