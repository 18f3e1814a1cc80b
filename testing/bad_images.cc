// SPDX-License-Identifier: Apache-2.0
#include "testing/bad_images.h"

#include <utility>

#include "absl/strings/str_format.h"
#include "testing/bad_images_cases.h"

namespace granule::testing {

const char* BadImageStageName(BadImageStage stage) {
  switch (stage) {
    case BadImageStage::kRead:
      return "read";
    case BadImageStage::kLoad:
      return "load";
    case BadImageStage::kLoadAtBase:
      return "load_at_base";
    case BadImageStage::kSharedPath:
      return "shared";
  }
  return "?";
}

const std::vector<BadImage>& BadImages() {
  static const std::vector<BadImage>* const cases = [] {
    bad_images::Catalogue catalogue;
    bad_images::AddHeaderCases(catalogue);
    bad_images::AddSectionCases(catalogue);
    bad_images::AddSegmentCases(catalogue);
    bad_images::AddRelocationCases(catalogue);
    bad_images::AddPlacementCases(catalogue);
    bad_images::AddWriterCases(catalogue);
    return new std::vector<BadImage>(std::move(catalogue.cases()));
  }();
  return *cases;
}

namespace bad_images {

void Catalogue::Add(const std::string& name, const std::string& description,
                    BadImageStage stage, std::vector<uint8_t> bytes,
                    const std::string& expected) {
  cases_.push_back({name, description, stage, std::move(bytes), expected});
}

RawElf Base(ElfVariant variant) {
  return TwoSegmentImage(variant, {{elf::kDtGuileEntry, 0x100}});
}

std::vector<uint8_t> Patch(std::vector<uint8_t> bytes, ElfVariant variant,
                           uint64_t offset, int width, uint64_t value) {
  if (bytes.size() < offset + width) bytes.resize(offset + width);
  StoreUnsigned(bytes.data() + offset, width, variant.big_endian, value);
  return bytes;
}

std::vector<uint8_t> PatchHeader(const RawElf& elf, int HeaderOffsets::*field,
                                 uint64_t value) {
  const HeaderOffsets h = HeaderFieldOffsets(elf.variant);
  const int offset = h.*field;
  // e_phoff, e_shoff and e_entry are words; the rest after e_flags are 16
  // bits, e_version 32.
  int width = 2;
  if (field == &HeaderOffsets::phoff || field == &HeaderOffsets::shoff ||
      field == &HeaderOffsets::entry) {
    width = elf.variant.word_size();
  } else if (field == &HeaderOffsets::version ||
             field == &HeaderOffsets::flags) {
    width = 4;
  }
  return Patch(elf.Encode(), elf.variant, offset, width, value);
}

std::vector<uint8_t> PatchSection(std::vector<uint8_t> bytes,
                                  ElfVariant variant, int index,
                                  SectionField field, uint64_t value) {
  const int w = variant.word_size();
  const uint64_t shoff = LoadUnsigned(
      bytes.data() + HeaderFieldOffsets(variant).shoff, w, variant.big_endian);
  const uint64_t header = shoff + index * variant.sizes().shdr;
  switch (field) {
    case SectionField::kName:
      return Patch(std::move(bytes), variant, header, 4, value);
    case SectionField::kOffset:
      return Patch(std::move(bytes), variant, header + 8 + 2 * w, w, value);
    case SectionField::kSize:
      return Patch(std::move(bytes), variant, header + 8 + 3 * w, w, value);
  }
  return bytes;
}

std::string Hex(uint64_t value) { return absl::StrFormat("0x%x", value); }

}  // namespace bad_images
}  // namespace granule::testing
