#include <setjmp.h>
#include <signal.h>

#include "testing/fault_probe.h"

namespace granule::testing {
namespace {

thread_local sigjmp_buf* probe_jump = nullptr;

void OnFault(int) {
  if (probe_jump != nullptr) siglongjmp(*probe_jump, 1);
}

// Runs `access` with fault handlers installed; true if it faulted.
template <typename Access>
bool Faults(Access access) {
  struct sigaction action = {}, old_segv, old_bus;
  action.sa_handler = OnFault;
  sigemptyset(&action.sa_mask);
  sigaction(SIGSEGV, &action, &old_segv);
  sigaction(SIGBUS, &action, &old_bus);
  sigjmp_buf jump;
  bool faulted = true;
  if (sigsetjmp(jump, /*savemask=*/1) == 0) {
    probe_jump = &jump;
    access();
    faulted = false;
  }
  probe_jump = nullptr;
  sigaction(SIGSEGV, &old_segv, nullptr);
  sigaction(SIGBUS, &old_bus, nullptr);
  return faulted;
}

}  // namespace

bool ReadFaults(const void* address) {
  return Faults([address] {
    (void)*static_cast<const volatile unsigned char*>(address);
  });
}

bool WriteFaults(void* address) {
  return Faults([address] {
    volatile unsigned char* p = static_cast<volatile unsigned char*>(address);
    *p = *p;
  });
}

}  // namespace granule::testing
