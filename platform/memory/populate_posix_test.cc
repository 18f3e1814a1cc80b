// SPDX-License-Identifier: Apache-2.0
// Region::Populate on Linux does what it is for: every page of the range is
// resident and already a private copy, before any write. This CI runs Linux:
// no /proc/self/pagemap is a failure, not a skip.
#include <vector>

#include "gtest/gtest.h"
#include "testing/host_backend_fixture.h"
#include "platform/page_state/page_state.h"
#include "testing/host_probes.h"
#include "testing/temp_file.h"

namespace granule {
namespace {

using ::granule::testing::OpenTempFile;
using ::granule::testing::PatternBytes;

class PopulatePosixTest : public testing::HostBackendTest {
 protected:
  PageSummary Summary(const Region& region, size_t pages) {
    absl::StatusOr<std::vector<PageState>> states =
        QueryPageStates(region.base(), pages * page_);
    EXPECT_TRUE(states.ok()) << states.status();
    return states.ok() ? Summarize(*states) : PageSummary{};
  }
};

TEST_F(PopulatePosixTest, MakesEveryPagePrivateAndResidentBeforeAnyWrite) {
  constexpr size_t kPages = 8;
  const File file = OpenTempFile(PatternBytes(kPages * page_), "populate-rss");
  Region region = Reserve(kPages * page_, granule_);
  ASSERT_TRUE(
      region.MapFile(0, file, 0, kPages * page_, Protection::kReadWrite).ok());
  PageSummary before = Summary(region, kPages);
  EXPECT_EQ(before.private_pages, 0u) << "nothing written yet";

  // Linux 5.14+ populates in one madvise call; older kernels get a write
  // per page from the backend. The result must be the same.
  RecordProperty("madvise_populate_write",
                 testing::HasMadvisePopulateWrite() ? "yes" : "no");
  ASSERT_TRUE(region.Populate(0, kPages * page_).ok());
  PageSummary after = Summary(region, kPages);
  EXPECT_EQ(after.resident, kPages);
  EXPECT_EQ(after.private_pages, kPages)
      << "populated writable: copy-on-write already broken";
}

}  // namespace
}  // namespace granule
