// The fixture of page_state_test: page states asked of the running kernel
// about real mappings made by the host backend.
#ifndef GRANULE_PLATFORM_PAGE_STATE_FIXTURE_H_
#define GRANULE_PLATFORM_PAGE_STATE_FIXTURE_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "gtest/gtest.h"
#include "platform/host_backend_fixture.h"
#include "platform/page_state.h"

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

#endif  // GRANULE_PLATFORM_PAGE_STATE_FIXTURE_H_
