// SPDX-License-Identifier: Apache-2.0
// The pages a relocation table writes, faulted in ahead of it. A shared
// load's writable pages come from the file copy-on-write, each faulting on
// its first write; for a table whose places run densely over many pages one
// populate call costs less than those faults. Tables are sorted by place in
// practice, so the first and last entries bound the pages; a table that is
// sparse or unsorted there is left to fault as before.
#ifndef GRANULE_LOADER_RELOCATION_PAGES_H_
#define GRANULE_LOADER_RELOCATION_PAGES_H_

#include <cstdint>

#include "absl/status/status.h"
#include "loader/relocation_tables.h"
#include "loader/relocator.h"
#include "platform/memory/memory_backend.h"

namespace granule {

// Below this many whole pages a populate call does not pay for itself.
inline constexpr uint64_t kMinPagesToPopulate = 16;

// The whole pages, as offsets into `region` (where memory's data is), that
// `table`'s first and last places bound inside one writable segment's file
// bytes, when there are at least kMinPagesToPopulate of them and no more
// than the table has entries (so pages no place touches stay few); else an
// empty range.
struct PageRange {
  uint64_t offset = 0, length = 0;
};
PageRange PagesToPopulate(const ImageMemory& memory,
                          const RelocationTable& table, uint64_t page_size);

// Populates those pages in `region`; an error names the image's file.
absl::Status PopulatePlaces(const ImageMemory& memory,
                            const RelocationTable& table, Region& region);

}  // namespace granule

#endif  // GRANULE_LOADER_RELOCATION_PAGES_H_
