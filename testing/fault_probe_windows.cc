// SPDX-License-Identifier: Apache-2.0
// Fault probes on Windows (x86_64): the access is one instruction in a tiny
// assembly routine; a vectored exception handler that sees an access
// violation at that instruction resumes the routine at its "faulted" exit.
// No longjmp out of a handler, no state shared between threads, and faults
// anywhere else go on to the handlers that were there before.
#include <windows.h>

#include <cstdint>
#include <mutex>
#include <vector>

#include "testing/fault_probe.h"

#if !defined(__x86_64__)
#error "fault_probe_windows.cc is written for x86_64"
#endif

// Microsoft x64 calling convention: the address arrives in rcx and the
// result (1 if the access faulted) leaves in eax. Leaf routines that never
// touch the stack need no unwind information.
extern "C" int granule_probe_read(const void* address);
extern "C" int granule_probe_write(void* address);
extern "C" char granule_probe_read_access[], granule_probe_read_end[];
extern "C" char granule_probe_write_access[], granule_probe_write_end[];
extern "C" int granule_probe_execute(const void* address);
extern "C" char granule_probe_faulted[];

asm(R"(
    .text
    .globl granule_probe_read, granule_probe_read_access, granule_probe_read_end
    .globl granule_probe_write, granule_probe_write_access, granule_probe_write_end
    .globl granule_probe_execute, granule_probe_faulted
granule_probe_read:
    xorl %eax, %eax
granule_probe_read_access:
    movb (%rcx), %dl
granule_probe_read_end:
    ret
granule_probe_write:
    xorl %eax, %eax
granule_probe_write_access:
    movb (%rcx), %dl
    movb %dl, (%rcx)
granule_probe_write_end:
    ret
granule_probe_execute:
    xorl %eax, %eax
    callq *%rcx
    ret
granule_probe_faulted:
    movl $1, %eax
    ret
)");

namespace granule::testing {
namespace {

// The address ExecuteFaults is calling on this thread, if any: a fault at
// that instruction address is the probe's own.
thread_local const void* execute_target = nullptr;

bool Inside(DWORD64 pc, const char* begin, const char* end) {
  return pc >= reinterpret_cast<DWORD64>(begin) &&
         pc < reinterpret_cast<DWORD64>(end);
}

LONG CALLBACK OnException(EXCEPTION_POINTERS* exception) {
  const DWORD code = exception->ExceptionRecord->ExceptionCode;
  if (code != EXCEPTION_ACCESS_VIOLATION && code != EXCEPTION_IN_PAGE_ERROR &&
      code != STATUS_GUARD_PAGE_VIOLATION) {
    return EXCEPTION_CONTINUE_SEARCH;
  }
  CONTEXT* context = exception->ContextRecord;
  if (execute_target != nullptr &&
      context->Rip == reinterpret_cast<DWORD64>(execute_target)) {
    // The fetch faulted before the callee ran: drop the return address the
    // call pushed and leave granule_probe_execute by its "faulted" exit.
    context->Rsp += 8;
    context->Rip = reinterpret_cast<DWORD64>(granule_probe_faulted);
    return EXCEPTION_CONTINUE_EXECUTION;
  }
  if (!Inside(context->Rip, granule_probe_read_access,
              granule_probe_read_end) &&
      !Inside(context->Rip, granule_probe_write_access,
              granule_probe_write_end)) {
    return EXCEPTION_CONTINUE_SEARCH;
  }
  context->Rip = reinterpret_cast<DWORD64>(granule_probe_faulted);
  return EXCEPTION_CONTINUE_EXECUTION;
}

// Installed once, first in line, for the life of the process: it only ever
// acts on faults inside the probe routines.
void InstallHandler() {
  static std::once_flag once;
  std::call_once(once, [] { AddVectoredExceptionHandler(1, OnException); });
}

}  // namespace

bool ReadFaults(const void* address) {
  InstallHandler();
  return granule_probe_read(address) != 0;
}

bool WriteFaults(void* address) {
  InstallHandler();
  return granule_probe_write(address) != 0;
}

std::vector<uint8_t> ReturnInstruction() { return {0xc3}; }  // ret

bool ExecuteFaults(const void* address) {
  InstallHandler();
  execute_target = address;
  const bool faulted = granule_probe_execute(address) != 0;
  execute_target = nullptr;
  return faulted;
}

}  // namespace granule::testing
