// SPDX-License-Identifier: Apache-2.0
// The Windows backend as Windows sees it: where views and memory land (one
// allocation per mapping, reserved pieces between them), the Win32
// protections chosen, executable views, errors that name the call, a region
// whose range was taken by someone else, and regions made on many threads at
// once. Part of backend_conformance_test in Windows builds.
#include <windows.h>

#include <atomic>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/host_backend_fixture.h"
#include "platform/memory/memory_backend.h"
#include "testing/temp_file.h"

namespace granule {
namespace {

using ::testing::HasSubstr;

constexpr size_t kUnit = 64 * 1024;

std::string Message(const absl::Status& status) {
  return std::string(status.message());
}

std::string Hex(uintptr_t value) { return absl::StrFormat("%#x", value); }

// The backend's own choice, asked the same way: does the system make
// placeholders? (Windows 10 1803+: yes; Wine 8: no.)
bool SystemMakesPlaceholders() {
  using VirtualAlloc2Fn = PVOID(WINAPI*)(HANDLE, PVOID, SIZE_T, ULONG, ULONG,
                                         MEM_EXTENDED_PARAMETER*, ULONG);
  HMODULE kernelbase = GetModuleHandleA("kernelbase.dll");
  auto virtual_alloc2 = reinterpret_cast<VirtualAlloc2Fn>(
      reinterpret_cast<void*>(GetProcAddress(kernelbase, "VirtualAlloc2")));
  if (virtual_alloc2 == nullptr) return false;
  void* p = virtual_alloc2(nullptr, nullptr, kUnit, MEM_RESERVE | 0x00040000,
                           PAGE_NOACCESS, nullptr, 0);
  if (p == nullptr) return false;
  VirtualFree(p, 0, MEM_RELEASE);
  return true;
}

MEMORY_BASIC_INFORMATION Query(uintptr_t address) {
  MEMORY_BASIC_INFORMATION info = {};
  EXPECT_NE(VirtualQuery(reinterpret_cast<void*>(address), &info, sizeof info),
            0u);
  return info;
}

uintptr_t AllocationBase(uintptr_t address) {
  return reinterpret_cast<uintptr_t>(Query(address).AllocationBase);
}

class WindowsBackendTest : public testing::HostBackendTest {};

TEST_F(WindowsBackendTest, TraitsAndGeometryAreWindows) {
  const BackendTraits& traits = backend_->traits();
  EXPECT_STREQ(traits.name, "windows");
  EXPECT_FALSE(traits.can_release_partially);
  EXPECT_TRUE(traits.enforces_protection);
  EXPECT_TRUE(traits.shares_file_pages);
  SYSTEM_INFO info;
  GetSystemInfo(&info);
  EXPECT_EQ(backend_->geometry().page_size(), info.dwPageSize);
  EXPECT_EQ(backend_->geometry().allocation_granularity(),
            info.dwAllocationGranularity);
}

TEST_F(WindowsBackendTest, EachMappingIsItsOwnAllocationAtItsAddress) {
  const std::vector<uint8_t> bytes = testing::PatternBytes(3 * page_ + 100);
  File file = testing::OpenTempFile(bytes);
  Region region = Reserve(4 * kUnit, kUnit);
  const uintptr_t base = region.base();
  ASSERT_TRUE(region.MapFile(kUnit, file, 0, bytes.size()).ok());
  ASSERT_TRUE(region.MapZeroed(3 * kUnit, page_).ok());
  const uintptr_t view_end = base + kUnit + 4 * page_;

  MEMORY_BASIC_INFORMATION head = Query(base);
  EXPECT_EQ(head.State, static_cast<DWORD>(MEM_RESERVE));
  EXPECT_EQ(AllocationBase(base), base);
  EXPECT_EQ(head.RegionSize, kUnit);

  MEMORY_BASIC_INFORMATION view = Query(base + kUnit);
  EXPECT_EQ(view.Type, static_cast<DWORD>(MEM_MAPPED));
  EXPECT_EQ(view.Protect, static_cast<DWORD>(PAGE_READONLY));
  EXPECT_EQ(AllocationBase(base + kUnit), base + kUnit);
  EXPECT_EQ(std::memcmp(region.data() + kUnit, bytes.data(), bytes.size()), 0);

  // The rest of the view's last granule: a placeholder where the system
  // makes them, else free (no one else can allocate inside a granule).
  MEMORY_BASIC_INFORMATION after_view = Query(view_end);
  const uintptr_t gap_start =
      SystemMakesPlaceholders() ? view_end : base + 2 * kUnit;
  EXPECT_EQ(
      after_view.State,
      static_cast<DWORD>(SystemMakesPlaceholders() ? MEM_RESERVE : MEM_FREE));
  EXPECT_EQ(Query(base + 2 * kUnit).State, static_cast<DWORD>(MEM_RESERVE));
  EXPECT_EQ(AllocationBase(base + 2 * kUnit), gap_start);

  MEMORY_BASIC_INFORMATION zeroed = Query(base + 3 * kUnit);
  EXPECT_EQ(zeroed.State, static_cast<DWORD>(MEM_COMMIT));
  EXPECT_EQ(zeroed.Type, static_cast<DWORD>(MEM_PRIVATE));
  EXPECT_EQ(zeroed.Protect, static_cast<DWORD>(PAGE_READWRITE));
  EXPECT_EQ(AllocationBase(base + 3 * kUnit), base + 3 * kUnit);

  ASSERT_TRUE(region.Release().ok());
  // Everything went back: the whole range is one free run again.
  MEMORY_BASIC_INFORMATION freed = Query(base);
  EXPECT_EQ(freed.State, static_cast<DWORD>(MEM_FREE));
  EXPECT_GE(reinterpret_cast<uintptr_t>(freed.BaseAddress) + freed.RegionSize,
            base + 4 * kUnit);
}

TEST_F(WindowsBackendTest, ProtectionsAreTheWin32Ones) {
  const std::vector<uint8_t> bytes = testing::PatternBytes(4 * page_);
  File file = testing::OpenTempFile(bytes);
  Region region = Reserve(2 * kUnit, kUnit);
  ASSERT_TRUE(region.MapFile(0, file, 0, bytes.size()).ok());
  ASSERT_TRUE(region.MapZeroed(kUnit, 3 * page_).ok());
  const uintptr_t view = region.base(), memory = region.base() + kUnit;
  ASSERT_TRUE(region.Protect(page_, page_, Protection::kReadWrite).ok());
  ASSERT_TRUE(region.Protect(2 * page_, page_, Protection::kNone).ok());
  ASSERT_TRUE(region.Protect(3 * page_, page_, Protection::kReadExecute).ok());
  ASSERT_TRUE(region.Protect(kUnit + page_, page_, Protection::kRead).ok());
  ASSERT_TRUE(
      region.Protect(kUnit + 2 * page_, page_, Protection::kReadExecute).ok());

  EXPECT_EQ(Query(view).Protect, static_cast<DWORD>(PAGE_READONLY));
  EXPECT_EQ(Query(view + page_).Protect, static_cast<DWORD>(PAGE_WRITECOPY))
      << "a view's writable pages are copy-on-write";
  EXPECT_EQ(Query(view + 2 * page_).Protect, static_cast<DWORD>(PAGE_NOACCESS));
  EXPECT_EQ(Query(view + 3 * page_).Protect,
            static_cast<DWORD>(PAGE_EXECUTE_READ));
  EXPECT_EQ(Query(memory).Protect, static_cast<DWORD>(PAGE_READWRITE));
  EXPECT_EQ(Query(memory + page_).Protect, static_cast<DWORD>(PAGE_READONLY));
  EXPECT_EQ(Query(memory + 2 * page_).Protect,
            static_cast<DWORD>(PAGE_EXECUTE_READ));
}

TEST_F(WindowsBackendTest, ExecutableViewsRun) {
  // x86_64 `mov eax, 42; ret` at the start of the second page.
  std::vector<uint8_t> bytes(2 * page_, 0xcc);
  const uint8_t code[] = {0xb8, 42, 0, 0, 0, 0xc3};
  std::memcpy(bytes.data() + page_, code, sizeof code);
  File file = testing::OpenTempFile(bytes);

  Region mapped_executable = Reserve(kUnit, kUnit);
  ASSERT_TRUE(mapped_executable
                  .MapFile(0, file, 0, bytes.size(), Protection::kReadExecute)
                  .ok());
  using Function = int (*)();
  auto run = [](const uint8_t* at) {
    return reinterpret_cast<Function>(const_cast<uint8_t*>(at))();
  };
  EXPECT_EQ(run(mapped_executable.data() + page_), 42);

  Region protected_later = Reserve(kUnit, kUnit);
  ASSERT_TRUE(protected_later.MapFile(0, file, 0, bytes.size()).ok());
  ASSERT_TRUE(
      protected_later.Protect(page_, page_, Protection::kReadExecute).ok());
  EXPECT_EQ(run(protected_later.data() + page_), 42);
}

TEST_F(WindowsBackendTest, ErrorsNameTheCallItsArgumentsAndTheError) {
  // Larger than any x86_64 user address space.
  const size_t huge = size_t{1} << 47;
  absl::StatusOr<Region> region = backend_->Reserve(huge, kUnit);
  ASSERT_FALSE(region.ok());
  EXPECT_THAT(Message(region.status()),
              HasSubstr("(NULL, 140737488355328, MEM_RESERVE"));
  EXPECT_THAT(Message(region.status()), HasSubstr("windows: VirtualAlloc"));
  EXPECT_THAT(Message(region.status()), HasSubstr(") failed: error "));
}

TEST_F(WindowsBackendTest, RangeTakenBySomeoneElseIsReportedAndLeftAlone) {
  Region region = Reserve(2 * kUnit, kUnit);
  const uintptr_t base = region.base();
  // Someone frees the reservation and commits memory of their own there.
  ASSERT_TRUE(VirtualFree(region.data(), 0, MEM_RELEASE)) << GetLastError();
  auto* theirs = static_cast<uint8_t*>(VirtualAlloc(
      region.data(), kUnit, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE));
  ASSERT_EQ(theirs, region.data()) << GetLastError();
  theirs[0] = 77;

  absl::Status status = region.MapZeroed(0, page_);
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(Message(status),
              HasSubstr("expected one reserved piece of the region there, "
                        "found committed pages"));
  status = region.MapZeroed(kUnit, page_);
  EXPECT_THAT(Message(status), HasSubstr("found free pages"));

  status = region.Release();
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(
      Message(status),
      HasSubstr("is not one reserved piece of it (there: [" + Hex(base) + ", " +
                Hex(base + kUnit) + ") committed private (allocation at " +
                Hex(base) + ")); left alone"));
  EXPECT_EQ(theirs[0], 77) << "their memory was not released";
  EXPECT_EQ(Query(base).State, static_cast<DWORD>(MEM_COMMIT));
  EXPECT_TRUE(VirtualFree(theirs, 0, MEM_RELEASE));
}

TEST_F(WindowsBackendTest, RegionsMadeOnManyThreadsLandWhereAsked) {
  const std::vector<uint8_t> bytes = testing::PatternBytes(2 * kUnit, 9);
  File file = testing::OpenTempFile(bytes);
  const size_t regions_before = backend_->live_regions();
  const size_t mappings_before = backend_->live_mappings();
  constexpr int kThreads = 4, kRounds = 50;
  std::atomic<int> done{0};
  std::vector<std::string> failures(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < kRounds && failures[t].empty(); ++round) {
        absl::StatusOr<Region> region = backend_->Reserve(4 * kUnit, 4 * kUnit);
        absl::Status status = region.status();
        if (status.ok()) status = region->MapFile(kUnit, file, 0, 2 * kUnit);
        if (status.ok()) status = region->MapZeroed(3 * kUnit, page_);
        if (status.ok()) status = region->MapZeroed(0, kUnit);
        if (status.ok() && (std::memcmp(region->data() + kUnit, bytes.data(),
                                        2 * kUnit) != 0 ||
                            region->data()[3 * kUnit] != 0)) {
          status = absl::DataLossError("wrong bytes");
        }
        if (status.ok()) status = region->Release();
        if (!status.ok()) {
          failures[t] = Message(status);
        } else {
          ++done;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(failures[t], "") << t;
  EXPECT_EQ(done.load(), kThreads * kRounds);
  EXPECT_EQ(backend_->live_regions(), regions_before);
  EXPECT_EQ(backend_->live_mappings(), mappings_before);
}

}  // namespace
}  // namespace granule
