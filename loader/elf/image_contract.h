// SPDX-License-Identifier: Apache-2.0
// The image contract's rules for program headers (docs/format.md), checked
// once the headers are decoded. Split from the decoding in elf_reader.cc.
#ifndef GRANULE_LOADER_ELF_IMAGE_CONTRACT_H_
#define GRANULE_LOADER_ELF_IMAGE_CONTRACT_H_

#include "absl/status/status.h"
#include "loader/elf/elf_image.h"

namespace granule::internal {

// One PT_LOAD on its own: sizes inside the file, no overflow, a power-of-two
// p_align with p_vaddr congruent to p_offset, flags R, RW or RX.
absl::Status CheckLoadSegment(const ElfImage& image, const Segment& s);

// The PT_LOADs together: at least one, sorted, not overlapping. Sets
// image.layout.
absl::Status CheckLoadOrder(ElfImage& image);

// PT_DYNAMIC (unique, inside a PT_LOAD's file bytes) and PT_GNU_RELRO (inside
// a writable PT_LOAD). Other types pass.
absl::Status CheckSpecialSegment(const ElfImage& image, const Segment& s);

}  // namespace granule::internal

#endif  // GRANULE_LOADER_ELF_IMAGE_CONTRACT_H_
