// The probe itself must be trustworthy before other tests rely on it: the
// Windows protections, each told apart, and faults twice in a row.
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

TEST(FaultProbeWindowsTest, TellsProtectionsApart) {
  SYSTEM_INFO info;
  GetSystemInfo(&info);
  const size_t page = info.dwPageSize;
  char* p = static_cast<char*>(VirtualAlloc(
      nullptr, 4 * page, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE));
  ASSERT_NE(p, nullptr) << GetLastError();
  char* none = p;
  char* read_only = p + page;
  char* read_write = p + 2 * page;
  char* reserved = p + 3 * page;
  read_only[0] = 42;
  read_write[0] = 7;
  Reprotect(none, page, PAGE_NOACCESS);
  Reprotect(read_only, page, PAGE_READONLY);
  ASSERT_TRUE(VirtualFree(reserved, page, MEM_DECOMMIT)) << GetLastError();

  EXPECT_TRUE(ReadFaults(none));
  EXPECT_TRUE(WriteFaults(none));
  EXPECT_FALSE(ReadFaults(read_only));
  EXPECT_TRUE(WriteFaults(read_only));
  EXPECT_EQ(read_only[0], 42);
  EXPECT_FALSE(ReadFaults(read_write));
  EXPECT_FALSE(WriteFaults(read_write));
  EXPECT_EQ(read_write[0], 7) << "the probe writes the byte back unchanged";
  EXPECT_TRUE(ReadFaults(reserved)) << "reserved, not committed";
  // A second fault after a first: the handler stays in place.
  EXPECT_TRUE(WriteFaults(read_only));
  EXPECT_TRUE(ReadFaults(none));
  ASSERT_TRUE(VirtualFree(p, 0, MEM_RELEASE)) << GetLastError();
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
