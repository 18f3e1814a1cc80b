// SPDX-License-Identifier: Apache-2.0
// Whether each PT_LOAD segment, mapped on its own from the file, fits one page
// geometry: pure arithmetic on the program headers, nothing read or mapped.
// A segment maps when its file offset and address are congruent modulo the
// allocation granularity (so a file view lands where the segment belongs) and
// no page it needs is needed by a segment with other rights or other file
// bytes (one page has one protection and one source). Pages lost to a
// neighbour at either end are copied; the rest of the segment still maps.
#ifndef GRANULE_LOADER_SEGMENT_FIT_H_
#define GRANULE_LOADER_SEGMENT_FIT_H_

#include <vector>

#include "absl/status/statusor.h"
#include "loader/elf_image.h"
#include "loader/load_verdict.h"
#include "platform/page_geometry.h"

namespace granule {

// One per PT_LOAD with p_memsz > 0, in program header order. A segment's
// `why` holds kOffsetIncongruent, or kSegmentsShareUnit once per neighbour
// (program_headers: this segment, then the neighbour; value: the unit's
// address). Bytes count the pages holding file bytes, as SegmentVerdict says.
std::vector<SegmentVerdict> FitSegments(const ElfImage& image,
                                        const PageGeometry& geometry);

// What the program headers allow on `geometry`, whatever granule's own loader
// does with them: CheckLoad's verdict without the loader's size limit, and,
// when the image is not mapped whole, each segment's route from FitSegments,
// the route kPerSegment when some page maps from the file (else kCopy) and
// the byte totals. InvalidArgument, naming no file, when the segments end too
// close to the top of the address space to be placed at all.
absl::StatusOr<LoadVerdict> CheckLayout(const ElfImage& image,
                                        const PageGeometry& geometry);

// Every segment of `verdict` maps whole from the file: shared whole, or per
// segment with nothing copied.
bool EverySegmentMapped(const LoadVerdict& verdict);

}  // namespace granule

#endif  // GRANULE_LOADER_SEGMENT_FIT_H_
