// SPDX-License-Identifier: Apache-2.0
// The fixture of page_state_test: page states asked of the running kernel
// about real mappings made by the host backend.
#ifndef GRANULE_PLATFORM_PAGE_STATE_PAGE_STATE_TEST_UTIL_H_
#define GRANULE_PLATFORM_PAGE_STATE_PAGE_STATE_TEST_UTIL_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "gtest/gtest.h"
#include "testing/host_backend_fixture.h"
#include "platform/page_state/page_state.h"

namespace granule {

class PageStateTest : public testing::HostBackendTest {
 protected:
  // The states of `pages` host pages from `address`; an error or another
  // count is a test failure.
  std::vector<PageState> Query(uintptr_t address, size_t pages) {
    absl::StatusOr<std::vector<PageState>> states =
        QueryPageStates(address, pages * page_);
    EXPECT_TRUE(states.ok()) << states.status();
    if (!states.ok()) return {};
    EXPECT_EQ(states->size(), pages);
    return *std::move(states);
  }

  // The states of three pages of zeroed memory: the first written, the
  // second never touched, the third read but never written.
  std::vector<PageState> QueryWrittenUntouchedAndReadZeroedPages() {
    Region region = Reserve(3 * page_);
    absl::Status mapped = region.MapZeroed(0, 3 * page_);
    if (!mapped.ok()) {
      ADD_FAILURE() << mapped;
      return {};
    }
    std::memset(region.data(), 0x5a, page_);
    EXPECT_EQ(ReadEveryByte(region.data() + 2 * page_, page_), 0u);
    return Query(region.base(), 3);
  }

  // Reads through a volatile pointer so the compiler cannot drop the loads
  // that fault the pages in.
  static uint64_t ReadEveryByte(const uint8_t* data, size_t size) {
    const volatile uint8_t* bytes = data;
    uint64_t sum = 0;
    for (size_t i = 0; i < size; ++i) sum += bytes[i];
    return sum;
  }
};

}  // namespace granule

#endif  // GRANULE_PLATFORM_PAGE_STATE_PAGE_STATE_TEST_UTIL_H_
