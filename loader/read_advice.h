// SPDX-License-Identifier: Apache-2.0
// Keeps a file mapping's padding out of the page cache on the shared path.
//
// The 1:1 layout maps the whole file, padding between segments included. On
// the first fault the kernel reads the readahead window around it (8 MiB on
// some disks), holes and all, into the page cache, and fault-around then maps
// those pages too: every padding page ends up resident. Advising the mapping
// "random" stops read-around; advising each segment's pages "will need" gives
// back read-ahead where it is wanted.
#ifndef GRANULE_LOADER_READ_ADVICE_H_
#define GRANULE_LOADER_READ_ADVICE_H_

#include "absl/status/status.h"
#include "loader/elf/elf_image.h"
#include "loader/load_plan.h"
#include "platform/memory/memory_backend.h"

namespace granule {

// For a file MapStep already mapped in `region`: when it holds pages no
// PT_LOAD segment's file bytes touch, advises the whole mapping kRandom and
// each segment's pages in it kWillNeed. Otherwise (the compact layout, a file
// without gaps) makes no call. Returns the first refusal; callers may ignore
// it, since advice changes no byte.
absl::Status AdviseSegmentsOnly(Region& region, const ElfImage& elf,
                                const MapStep& step);

}  // namespace granule

#endif  // GRANULE_LOADER_READ_ADVICE_H_
