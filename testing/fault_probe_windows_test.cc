// SPDX-License-Identifier: Apache-2.0
// The fault probe on Windows: execute-read pages, and faults the probe does
// not own left to the handlers that come after it. fault_probe_test.cc tells
// the protections apart on every OS.
#include <windows.h>

#include "gtest/gtest.h"
#include "testing/fault_probe.h"

namespace granule::testing {
namespace {

DWORD Reprotect(void* address, size_t length, DWORD protection) {
  DWORD old = 0;
  EXPECT_TRUE(VirtualProtect(address, length, protection, &old))
      << GetLastError();
  return old;
}

TEST(FaultProbeWindowsTest, ExecuteReadPagesAreReadableNotWritable) {
  char* p = static_cast<char*>(
      VirtualAlloc(nullptr, 1, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE));
  ASSERT_NE(p, nullptr) << GetLastError();
  p[0] = static_cast<char>(0xc3);  // ret
  Reprotect(p, 1, PAGE_EXECUTE_READ);
  EXPECT_FALSE(ReadFaults(p));
  EXPECT_TRUE(WriteFaults(p));
  EXPECT_EQ(static_cast<unsigned char>(p[0]), 0xc3);
  ASSERT_TRUE(VirtualFree(p, 0, MEM_RELEASE)) << GetLastError();
}

TEST(FaultProbeWindowsTest, FaultsOutsideTheProbeStillReachOtherHandlers) {
  // An access violation elsewhere must not be swallowed by the probe's
  // handler: a handler added after it sees it and recovers by itself.
  char* p = static_cast<char*>(
      VirtualAlloc(nullptr, 1, MEM_RESERVE | MEM_COMMIT, PAGE_NOACCESS));
  ASSERT_NE(p, nullptr) << GetLastError();
  ASSERT_TRUE(ReadFaults(p));  // Installs the probe's handler first.
  static char* target;
  static bool seen;
  target = p;
  seen = false;
  PVOID handler =
      AddVectoredExceptionHandler(0, [](EXCEPTION_POINTERS* e) -> LONG {
        if (e->ExceptionRecord->ExceptionCode != EXCEPTION_ACCESS_VIOLATION ||
            e->ExceptionRecord->ExceptionInformation[1] !=
                reinterpret_cast<ULONG_PTR>(target)) {
          return EXCEPTION_CONTINUE_SEARCH;
        }
        seen = true;
        DWORD old;
        VirtualProtect(target, 1, PAGE_READWRITE, &old);
        return EXCEPTION_CONTINUE_EXECUTION;
      });
  ASSERT_NE(handler, nullptr);
  *static_cast<volatile char*>(p) = 5;  // Faults once, then succeeds.
  RemoveVectoredExceptionHandler(handler);
  EXPECT_TRUE(seen);
  EXPECT_EQ(p[0], 5);
  ASSERT_TRUE(VirtualFree(p, 0, MEM_RELEASE)) << GetLastError();
}

}  // namespace
}  // namespace granule::testing
