// SPDX-License-Identifier: Apache-2.0
// QueryPageStates' OS-neutral half: the range is checked and cut into host
// pages here; page_state_posix.cc and page_state_windows.cc ask the OS.
#include "platform/page_state/page_state.h"

#include <limits>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "platform/page_geometry.h"
#include "platform/page_state/page_state_os.h"
#include "platform/status_macros.h"

namespace granule {

absl::StatusOr<std::vector<PageState>> QueryPageStates(uintptr_t address,
                                                       size_t length) {
  GRANULE_ASSIGN_OR_RETURN(PageGeometry geometry, HostPageGeometry());
  const size_t page = geometry.page_size();
  if (length == 0) return std::vector<PageState>();
  if (length - 1 > std::numeric_limits<uintptr_t>::max() - address) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "page states of %#x + %u: the range wraps around the address space",
        address, length));
  }
  const uintptr_t page_mask = ~(uintptr_t{page} - 1);
  const uintptr_t first = address & page_mask;
  const uintptr_t last = (address + (length - 1)) & page_mask;

  std::vector<PageState> states((last - first) / page + 1);
  GRANULE_RETURN_IF_ERROR(internal::FillPageStates(first, page, states));
  return states;
}

}  // namespace granule
