// SPDX-License-Identifier: Apache-2.0
#include <setjmp.h>
#include <signal.h>

#include <cstdint>
#include <vector>

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

std::vector<uint8_t> ReturnInstruction() {
#if defined(__x86_64__) || defined(__i386__)
  return {0xc3};  // ret
#elif defined(__aarch64__)
  return {0xc0, 0x03, 0x5f, 0xd6};  // ret (x30), little-endian code
#elif defined(__s390x__)
  return {0x07, 0xfe};  // br %r14
#elif defined(__powerpc64__) && defined(__LITTLE_ENDIAN__)
  return {0x20, 0x00, 0x80, 0x4e};  // blr (ELFv2: no function descriptors)
#elif defined(__arm__) && !defined(__thumb__)
  return {0x1e, 0xff, 0x2f, 0xe1};  // bx lr
#elif defined(__riscv)
  return {0x67, 0x80, 0x00, 0x00};  // ret (jalr x0, 0(x1))
#else
  return {};
#endif
}

bool ExecuteFaults(const void* address) {
  return Faults([address] {
    // A data pointer becomes a code pointer through an integer: the one
    // conversion every compiler here accepts for this.
    auto function =
        reinterpret_cast<void (*)()>(reinterpret_cast<uintptr_t>(address));
    function();
  });
}

}  // namespace granule::testing
