// SPDX-License-Identifier: Apache-2.0
// The seam between QueryPageStates' OS-neutral half (page_state.cc: the range
// checks and the page arithmetic) and each OS's queries (page_state_posix.cc,
// page_state_windows.cc). Only those files include it.
#ifndef GRANULE_PLATFORM_PAGE_STATE_PAGE_STATE_OS_H_
#define GRANULE_PLATFORM_PAGE_STATE_PAGE_STATE_OS_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "platform/page_state/page_state.h"

namespace granule::internal {

// Fills `states` (not empty, all default): states[i] describes the host page
// at first + i * page. `first` is page-aligned and the last page ends at the
// top of the address space at the latest.
absl::Status FillPageStates(uintptr_t first, size_t page,
                            std::vector<PageState>& states);

}  // namespace granule::internal

#endif  // GRANULE_PLATFORM_PAGE_STATE_PAGE_STATE_OS_H_
