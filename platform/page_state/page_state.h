// SPDX-License-Identifier: Apache-2.0
// What the kernel really did with the pages of a range: the protection it
// enforces and, for each page, whether it is resident and whether it is still
// shared through the page cache or has become a private copy.
//
// Region::ProtectionAt answers what granule asked for; this answers what the
// operating system did, so `granule` can show that a loaded image's clean
// pages are shared between processes and only the written ones cost memory.
//
// On Linux it reads /proc/self/maps (protections) and /proc/self/pagemap
// (page flags; unprivileged processes see the flags with the frame numbers
// zeroed, which is all this needs). The pages asked about are never touched:
// touching them would change the answer. On Windows it asks VirtualQuery
// (protections) and QueryWorkingSetEx (resident, shared). Elsewhere
// QueryPageStates returns Unimplemented.
#ifndef GRANULE_PLATFORM_PAGE_STATE_PAGE_STATE_H_
#define GRANULE_PLATFORM_PAGE_STATE_PAGE_STATE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "platform/memory/memory_backend.h"

namespace granule {

struct PageState {
  // Inside some mapping at all (a PROT_NONE reservation counts).
  bool mapped = false;
  // What the kernel enforces; kNone for "---" and for unmapped pages.
  Protection protection = Protection::kNone;
  // In memory and mapped into this process (pagemap bit 63).
  bool resident = false;
  // Written out to swap (pagemap bit 62): a private copy that is not resident.
  // Always false on Windows, which cannot tell a paged-out page from one
  // never touched.
  bool swapped = false;
  // A page-cache page or shared anonymous memory (pagemap bit 61): shared
  // with the file and other processes, not a private copy.
  bool file_page = false;
  // Mapped by this process only (pagemap bit 56, Linux 4.2+). A resident
  // anonymous page that is not exclusive is the kernel's shared zero page
  // (read, never written) or a copy-on-write page still shared after fork.
  bool exclusive = false;
};

// One entry per host page (HostPageGeometry().page_size()) of every page that
// [address, address + length) touches; an empty range gives no entries.
// Errors: InvalidArgument when the range wraps around the address space;
// FailedPrecondition when a mapping in the range is writable and executable
// (or otherwise not expressible as a Protection), naming the mapping and its
// permissions; the OS error naming the /proc file that failed; Unimplemented
// when the system has no /proc/self/pagemap.
absl::StatusOr<std::vector<PageState>> QueryPageStates(uintptr_t address,
                                                       size_t length);

struct PageSummary {
  size_t pages = 0;
  size_t resident = 0;
  size_t swapped = 0;
  size_t file_pages = 0;     // resident && file_page: shared via the cache.
  size_t private_pages = 0;  // resident && !file_page && exclusive.
  // resident && !file_page && !exclusive: the zero page or fork-shared pages.
  // resident == file_pages + private_pages + anonymous_shared_pages.
  size_t anonymous_shared_pages = 0;
};

inline PageSummary Summarize(absl::Span<const PageState> states) {
  PageSummary summary;
  summary.pages = states.size();
  for (const PageState& state : states) {
    summary.swapped += state.swapped;
    if (!state.resident) continue;
    ++summary.resident;
    if (state.file_page) {
      ++summary.file_pages;
    } else if (state.exclusive) {
      ++summary.private_pages;
    } else {
      ++summary.anonymous_shared_pages;
    }
  }
  return summary;
}

namespace internal {

// One line of Linux's /proc/<pid>/maps: "start-end perms offset dev inode
// [path]". Exposed for tests of the parser; defined in page_state_posix.cc.
struct ProcMapsEntry {
  uintptr_t start;
  uintptr_t end;
  std::string permissions;  // Four characters, e.g. "r-xp".
};
absl::StatusOr<ProcMapsEntry> ParseProcMapsLine(absl::string_view line);

// "r--p" -> kRead and so on; permissions with both w and x, or w or x
// without r, are FailedPrecondition naming them.
absl::StatusOr<Protection> ProtectionFromPermissions(
    absl::string_view permissions);

}  // namespace internal
}  // namespace granule

#endif  // GRANULE_PLATFORM_PAGE_STATE_PAGE_STATE_H_
