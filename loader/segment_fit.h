// SPDX-License-Identifier: Apache-2.0
// Whether each PT_LOAD segment, mapped on its own from the file, fits one page
// geometry: pure arithmetic on the program headers, nothing read or mapped.
// A segment maps when its file offset and address are congruent modulo the
// allocation granularity (so a file view lands where the segment belongs) and
// no page it needs is also needed by a segment with other rights or other file
// bytes (one page has one protection and one source). Pages lost to a
// neighbour at either end are copied; the rest of the segment still maps.
#ifndef GRANULE_LOADER_SEGMENT_FIT_H_
#define GRANULE_LOADER_SEGMENT_FIT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "loader/elf_image.h"
#include "platform/page_geometry.h"

namespace granule {

enum class SegmentRoute {
  kMapped,        // Every page from the file (or zero-filled memory).
  kPartlyMapped,  // Its whole pages inside map; pages at an end are copied.
  kCopied,        // No page can come from the file: copied to memory.
};
const char* SegmentRouteName(SegmentRoute route);  // "mapped", ...

// Why a segment is not mapped whole; kNone when it is.
enum class SegmentMisfit {
  kNone,
  kNotCongruent,  // p_offset and p_vaddr differ modulo the unit.
  kSharesPage,    // A page at an end is needed by another segment too.
};
const char* SegmentMisfitName(SegmentMisfit misfit);  // "not congruent", ...

struct SegmentFit {
  int index;  // Program header index.
  SegmentRoute route;
  SegmentMisfit misfit;
  std::string reason;  // Empty when mapped; else for a user, with values.
  uint64_t mapped_bytes;  // Of p_memsz; the rest is copied.
  uint64_t copied_bytes;
};

// One entry per PT_LOAD with p_memsz > 0, in program header order.
std::vector<SegmentFit> FitSegments(const ElfImage& image,
                                    const PageGeometry& geometry);

}  // namespace granule

#endif  // GRANULE_LOADER_SEGMENT_FIT_H_
