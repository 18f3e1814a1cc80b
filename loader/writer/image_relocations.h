// SPDX-License-Identifier: Apache-2.0
// The writer's relative relocations: checking each against the layout and
// encoding the table as RELA, REL or RELR.
#ifndef GRANULE_LOADER_WRITER_IMAGE_RELOCATIONS_H_
#define GRANULE_LOADER_WRITER_IMAGE_RELOCATIONS_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "loader/writer/image_layout.h"
#include "loader/writer/image_writer.h"

namespace granule::image_relocations {

struct ResolvedRelocation {
  int section;              // The place's spec section.
  uint64_t section_offset;  // The place's offset in it.
  uint64_t place;           // The place's address.
  uint64_t value;           // The target's address: what the word becomes
                            // once the load base is added.
};

// The relocation table section for `spec` (empty name when it has no
// relocations). The size is exact for RELA and REL; for RELR it depends on
// the places and is left 0 until they are known (RelrSize).
image_layout::GeneratedSections TableShape(const ImageSpec& spec);

// The relative relocation type for spec.machine, checked to fit r_info.
absl::StatusOr<uint32_t> RelativeType(const ImageSpec& spec);

// Checks every relocation (place in an RW PROGBITS section, word-aligned,
// the whole word inside; target inside an existing section; no place twice)
// and computes its addresses. Errors name the relocation's index.
absl::StatusOr<std::vector<ResolvedRelocation>> ResolveRelocations(
    const ImageSpec& spec, const image_layout::ImageLayout& layout);

// RELR words for sorted, distinct, word-aligned addresses: an address, then
// bitmaps (low bit 1) each covering the next word_size * 8 - 1 words.
std::vector<uint64_t> EncodeRelr(const std::vector<uint64_t>& sorted_places,
                                 int word_size);

// Bytes of the RELR table for `relocations`.
uint64_t RelrSize(const std::vector<ResolvedRelocation>& relocations,
                  int word_size);

// The table's bytes, in the spec's relocation order for RELA and REL.
std::vector<uint8_t> EncodeTable(
    const ImageSpec& spec, uint32_t relative_type,
    const std::vector<ResolvedRelocation>& relocations);

// What the place word holds in the file: 0 for RELA (the addend is in the
// table), the value for REL and RELR.
uint64_t PlaceWord(const ImageSpec& spec, const ResolvedRelocation& r);

}  // namespace granule::image_relocations

#endif  // GRANULE_LOADER_WRITER_IMAGE_RELOCATIONS_H_
