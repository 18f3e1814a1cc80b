// SPDX-License-Identifier: Apache-2.0
#include "loader/versioned_image_test_util.h"

#include <cstring>

#include "absl/strings/str_format.h"
#include "loader/elf/elf_format.h"
#include "testing/temp_file.h"

namespace granule::testing {

ElfVariant HostVariant() {
  const uint16_t probe = 1;
  uint8_t first_byte;
  std::memcpy(&first_byte, &probe, 1);
  return {sizeof(void*) == 8, first_byte == 0};
}

uint64_t VersionedTargetOffset(uint8_t version, int i) {
  return 8 * (uint64_t{version} * 37 + static_cast<uint64_t>(i) * 1001);
}

ImageSpec VersionedImageSpec(uint8_t version, size_t rodata_size) {
  ImageSpec spec;
  spec.variant = HostVariant();
  const uint64_t word = spec.variant.word_size();
  spec.sections = {
      {".rodata", SectionAccess::kRead, 16, PatternBytes(rodata_size, version),
       0},
      {".data", SectionAccess::kReadWrite, 8,
       std::vector<uint8_t>(word * kVersionedRelocations, 0), 0},
  };
  for (int i = 0; i < kVersionedRelocations; ++i) {
    spec.relocations.push_back(
        {{".data", word * i}, {".rodata", VersionedTargetOffset(version, i)}});
  }
  spec.dynamic = {
      {elf::kDtGuileEntry, 0, ".rodata", VersionedTargetOffset(version, 0)}};
  return spec;
}

std::string DiffFromVersion(const LoadedImage& image, uint8_t version,
                            size_t rodata_size) {
  const Section* rodata = image.elf().FindSection(".rodata");
  const Section* data = image.elf().FindSection(".data");
  if (rodata == nullptr || data == nullptr) return "no .rodata or .data";
  if (rodata->size != rodata_size) {
    return absl::StrFormat(".rodata has 0x%x bytes", rodata->size);
  }
  const uint8_t* bytes = image.Pointer(rodata->addr, rodata->size);
  const std::vector<uint8_t> expected = PatternBytes(rodata_size, version);
  for (size_t i = 0; i < rodata_size; ++i) {
    if (bytes[i] != expected[i]) {
      return absl::StrFormat(".rodata byte 0x%x is 0x%02x, not 0x%02x", i,
                             bytes[i], expected[i]);
    }
  }
  for (int i = 0; i < kVersionedRelocations; ++i) {
    uintptr_t word = 0;
    std::memcpy(&word, image.Pointer(data->addr + sizeof(word) * i),
                sizeof(word));
    const uintptr_t target =
        reinterpret_cast<uintptr_t>(bytes) + VersionedTargetOffset(version, i);
    if (word != target) {
      return absl::StrFormat("relocated word %d is 0x%x, not 0x%x", i, word,
                             target);
    }
  }
  for (const LoadedImage::ResolvedEntry& entry : image.dynamic()) {
    if (entry.tag != elf::kDtGuileEntry) continue;
    if (entry.pointer != bytes + VersionedTargetOffset(version, 0)) {
      return absl::StrFormat("DT_GUILE_ENTRY is 0x%x", entry.value);
    }
    return "";
  }
  return "no DT_GUILE_ENTRY";
}

}  // namespace granule::testing
