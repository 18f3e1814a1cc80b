// Asks the hardware whether an access faults, without dying: the access runs
// under a temporary SIGSEGV/SIGBUS handler that jumps back out. Used to prove
// that a protection really is enforced, not just recorded.
#ifndef GRANULE_TESTING_FAULT_PROBE_H_
#define GRANULE_TESTING_FAULT_PROBE_H_

namespace granule::testing {

// True if reading one byte at `address` faults.
bool ReadFaults(const void* address);
// True if writing one byte at `address` faults. When it does not fault the
// byte's value is written back unchanged.
bool WriteFaults(void* address);

}  // namespace granule::testing

#endif  // GRANULE_TESTING_FAULT_PROBE_H_
