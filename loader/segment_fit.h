// SPDX-License-Identifier: Apache-2.0
// What an image's program headers allow on one page geometry, whatever
// granule's own loader would do with the file (its relocations, its size
// limit, ET_EXEC): the planner's verdict, segment by segment when the image
// does not map whole. `granule check` judges any ELF file with it.
#ifndef GRANULE_LOADER_SEGMENT_FIT_H_
#define GRANULE_LOADER_SEGMENT_FIT_H_

#include "absl/status/statusor.h"
#include "loader/elf/elf_image.h"
#include "loader/load_verdict.h"
#include "platform/page_geometry.h"

namespace granule {

// CheckLoad's verdict without the loader's size limit. When the image is not
// mapped whole, `segments` holds the per-segment planner's route for each
// PT_LOAD even when nothing maps (the route is then kCopy), so each copied
// segment has its reason. InvalidArgument, naming no file, when the segments
// end too close to the top of the address space to be placed at all.
absl::StatusOr<LoadVerdict> CheckLayout(const ElfImage& image,
                                        const PageGeometry& geometry);

// Every segment of `verdict` maps whole from the file: shared whole, or per
// segment with nothing copied.
bool EverySegmentMapped(const LoadVerdict& verdict);

}  // namespace granule

#endif  // GRANULE_LOADER_SEGMENT_FIT_H_
