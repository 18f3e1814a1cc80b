// SPDX-License-Identifier: Apache-2.0
// The probe itself must be trustworthy before other tests rely on it: each
// protection told apart on pages the host backend made (mmap and mprotect,
// or VirtualAlloc and VirtualProtect), and faults twice in a row.
#include "testing/fault_probe.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "gtest/gtest.h"
#include "platform/memory/memory_backend.h"

namespace granule::testing {
namespace {

TEST(FaultProbeTest, TellsProtectionsApart) {
  absl::StatusOr<MemoryBackend*> backend = HostMemoryBackend();
  ASSERT_TRUE(backend.ok()) << backend.status();
  const size_t page = (*backend)->geometry().page_size();
  const size_t granule = (*backend)->geometry().allocation_granularity();
  // Three pages mapped, then reserved address space from the next granule.
  const size_t mapped = std::max(3 * page, granule);
  absl::StatusOr<Region> region = (*backend)->Reserve(mapped + granule, 1);
  ASSERT_TRUE(region.ok()) << region.status();
  ASSERT_TRUE(region->MapZeroed(0, 3 * page).ok());
  uint8_t* none = region->data();
  uint8_t* read_only = none + page;
  uint8_t* read_write = none + 2 * page;
  uint8_t* reserved = none + mapped;
  read_only[0] = 42;
  read_write[0] = 7;
  ASSERT_TRUE(region->Protect(0, page, Protection::kNone).ok());
  ASSERT_TRUE(region->Protect(page, page, Protection::kRead).ok());

  EXPECT_TRUE(ReadFaults(none));
  EXPECT_TRUE(WriteFaults(none));
  EXPECT_FALSE(ReadFaults(read_only));
  EXPECT_TRUE(WriteFaults(read_only));
  EXPECT_EQ(read_only[0], 42);
  EXPECT_FALSE(ReadFaults(read_write));
  EXPECT_FALSE(WriteFaults(read_write));
  EXPECT_EQ(read_write[0], 7) << "the probe writes the byte back unchanged";
  EXPECT_TRUE(ReadFaults(reserved)) << "reserved, nothing mapped";
  // A second fault after a first: the handler (and on POSIX the signal
  // mask) was restored.
  EXPECT_TRUE(WriteFaults(read_only));
  EXPECT_TRUE(ReadFaults(none));
}

// Execution is told apart from reading: the same return instruction runs on
// an RX page and faults on R and RW pages.
TEST(FaultProbeTest, ExecutesOnlyExecutablePages) {
  const std::vector<uint8_t> ret = ReturnInstruction();
  ASSERT_FALSE(ret.empty()) << "no return instruction known for this machine";
  absl::StatusOr<MemoryBackend*> backend = HostMemoryBackend();
  ASSERT_TRUE(backend.ok()) << backend.status();
  const size_t page = (*backend)->geometry().page_size();
  absl::StatusOr<Region> region = (*backend)->Reserve(page, 1);
  ASSERT_TRUE(region.ok()) << region.status();
  ASSERT_TRUE(region->MapZeroed(0, page).ok());
  uint8_t* code = region->data();
  std::copy(ret.begin(), ret.end(), code);
  __builtin___clear_cache(reinterpret_cast<char*>(code),
                          reinterpret_cast<char*>(code + ret.size()));

  EXPECT_TRUE(ExecuteFaults(code)) << "RW";
  ASSERT_TRUE(region->Protect(0, page, Protection::kReadExecute).ok());
  EXPECT_FALSE(ExecuteFaults(code)) << "RX";
  EXPECT_TRUE(WriteFaults(code)) << "RX";
  ASSERT_TRUE(region->Protect(0, page, Protection::kRead).ok());
  EXPECT_TRUE(ExecuteFaults(code)) << "R";
  ASSERT_TRUE(region->Protect(0, page, Protection::kNone).ok());
  EXPECT_TRUE(ExecuteFaults(code)) << "none";
}

}  // namespace
}  // namespace granule::testing
