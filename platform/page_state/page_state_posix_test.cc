// SPDX-License-Identifier: Apache-2.0
// Page states on Linux, where they differ from Windows: what a read of
// untouched memory maps (the kernel's choice, probed first), holes punched
// with munmap, writable and executable mappings as
// /proc/self/maps shows them, and the /proc/self/maps parser. This CI runs
// Linux: no /proc/self/pagemap is a failure, not a skip.
#include <sys/mman.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "platform/memory/memory_backend.h"
#include "platform/page_state/page_state.h"
#include "platform/page_state/page_state_test_util.h"
#include "testing/host_probes.h"

namespace granule {
namespace {

using ::testing::HasSubstr;

class PageStatePosixTest : public PageStateTest {};

TEST_F(PageStatePosixTest,
       ZeroedMemoryIsPrivateOnceWrittenAndAbsentUntilTouched) {
  // Most kernels map their one shared zero page for a read of untouched
  // memory; some (paravirtualized guests among them) give the process a
  // page of its own. Either is correct: ask which, then expect it.
  const absl::StatusOr<testing::ZeroPageOnRead> read_gives =
      testing::ProbeZeroPageOnRead();
  ASSERT_TRUE(read_gives.ok()) << read_gives.status();
  const bool zero_page_shared =
      *read_gives == testing::ZeroPageOnRead::kSharedZeroPage;
  RecordProperty("read_of_untouched_memory",
                 testing::ZeroPageOnReadName(*read_gives));
  std::printf("read of untouched memory maps: %s\n",
              testing::ZeroPageOnReadName(*read_gives));

  const std::vector<PageState> states =
      QueryWrittenUntouchedAndReadZeroedPages();
  ASSERT_EQ(states.size(), 3u);
  EXPECT_TRUE(states[0].resident);
  EXPECT_FALSE(states[0].file_page);
  EXPECT_TRUE(states[0].exclusive);
  EXPECT_EQ(states[0].protection, Protection::kReadWrite);

  EXPECT_TRUE(states[1].mapped);
  EXPECT_EQ(states[1].protection, Protection::kReadWrite);
  EXPECT_FALSE(states[1].resident) << "never touched";

  // Read, never written: resident either way, shared only if the kernel
  // maps its zero page.
  EXPECT_TRUE(states[2].resident);
  EXPECT_FALSE(states[2].file_page);
  EXPECT_EQ(states[2].exclusive, !zero_page_shared)
      << testing::ZeroPageOnReadName(*read_gives);

  const PageSummary summary = Summarize(states);
  EXPECT_EQ(summary.resident, 2u);
  EXPECT_EQ(summary.private_pages, zero_page_shared ? 1u : 2u);
  EXPECT_EQ(summary.anonymous_shared_pages, zero_page_shared ? 1u : 0u);
  EXPECT_EQ(summary.file_pages, 0u);
}

TEST_F(PageStatePosixTest, HoleInTheRangeIsUnmapped) {
  Region region = Reserve(3 * page_);
  // The backend has no partial release, so punch the hole directly. One page
  // is too small for malloc's own mmaps to land in before the query.
  ASSERT_EQ(munmap(region.data() + page_, page_), 0) << std::strerror(errno);

  const std::vector<PageState> states = Query(region.base(), 3);
  ASSERT_EQ(states.size(), 3u);
  EXPECT_TRUE(states[0].mapped);
  EXPECT_FALSE(states[1].mapped);
  EXPECT_EQ(states[1].protection, Protection::kNone);
  EXPECT_FALSE(states[1].resident);
  EXPECT_TRUE(states[2].mapped);
}

TEST_F(PageStatePosixTest, WritableAndExecutableMappingIsAnError) {
  void* p = mmap(nullptr, page_, PROT_READ | PROT_WRITE | PROT_EXEC,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED && (errno == EACCES || errno == EPERM)) {
    GTEST_SKIP() << "this kernel refuses W+X mappings: "
                 << std::strerror(errno);
  }
  ASSERT_NE(p, MAP_FAILED) << std::strerror(errno);
  const uintptr_t address = reinterpret_cast<uintptr_t>(p);
  absl::StatusOr<std::vector<PageState>> states =
      QueryPageStates(address, page_);
  munmap(p, page_);
  EXPECT_EQ(states.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(states.status().message(), HasSubstr("/proc/self/maps"));
  EXPECT_THAT(states.status().message(), HasSubstr("'rwxp'"));
  EXPECT_THAT(states.status().message(), HasSubstr("writable and executable"));
}

TEST(ProcMapsTest, ParsesALine) {
  absl::StatusOr<internal::ProcMapsEntry> entry = internal::ParseProcMapsLine(
      "7f00a000-7f00c000 r-xp 00001000 08:01 1234   /usr/lib/libc.so.6");
  ASSERT_TRUE(entry.ok()) << entry.status();
  EXPECT_EQ(entry->start, 0x7f00a000u);
  EXPECT_EQ(entry->end, 0x7f00c000u);
  EXPECT_EQ(entry->permissions, "r-xp");
}

TEST(ProcMapsTest, RejectsMalformedLinesNamingTheField) {
  for (const char* line : {"", "1000-2000", "7f00a000 r-xp",
                           "7f00c000-7f00a000 r-xp 0", "zz-7f00c000 r-xp 0"}) {
    absl::StatusOr<internal::ProcMapsEntry> entry =
        internal::ParseProcMapsLine(line);
    EXPECT_EQ(entry.status().code(), absl::StatusCode::kInvalidArgument)
        << line;
    EXPECT_THAT(entry.status().message(), HasSubstr("address range")) << line;
  }
  for (const char* line :
       {"1000-2000 r-x", "1000-2000 rwzp 0", "1000-2000 r-xpq 0"}) {
    absl::StatusOr<internal::ProcMapsEntry> entry =
        internal::ParseProcMapsLine(line);
    EXPECT_EQ(entry.status().code(), absl::StatusCode::kInvalidArgument)
        << line;
    EXPECT_THAT(entry.status().message(), HasSubstr("permissions")) << line;
    EXPECT_THAT(entry.status().message(), HasSubstr(line)) << line;
  }
}

TEST(ProcMapsTest, MapsPermissionsToProtections) {
  EXPECT_EQ(*internal::ProtectionFromPermissions("---p"), Protection::kNone);
  EXPECT_EQ(*internal::ProtectionFromPermissions("r--p"), Protection::kRead);
  EXPECT_EQ(*internal::ProtectionFromPermissions("rw-s"),
            Protection::kReadWrite);
  EXPECT_EQ(*internal::ProtectionFromPermissions("r-xp"),
            Protection::kReadExecute);
  for (const char* permissions : {"rwxp", "-wxp", "--xp", "-w-p"}) {
    absl::StatusOr<Protection> protection =
        internal::ProtectionFromPermissions(permissions);
    EXPECT_EQ(protection.status().code(),
              absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(protection.status().message(), HasSubstr(permissions));
  }
}

}  // namespace
}  // namespace granule
