// SPDX-License-Identifier: Apache-2.0
// Shared by the files that build the bad-input catalogue (bad_images*.cc):
// the base images and the helpers that break them.
#ifndef GRANULE_TESTING_BAD_IMAGES_CASES_H_
#define GRANULE_TESTING_BAD_IMAGES_CASES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "loader/elf/byte_order.h"
#include "testing/bad_images.h"
#include "testing/raw_elf.h"

namespace granule::testing::bad_images {

inline constexpr ElfVariant kLe64 = {true, false}, kBe64 = {true, true},
                            kLe32 = {false, false}, kBe32 = {false, true};

class Catalogue {
 public:
  void Add(const std::string& name, const std::string& description,
           BadImageStage stage, std::vector<uint8_t> bytes,
           const std::string& expected);
  void Read(const std::string& name, const std::string& description,
            std::vector<uint8_t> bytes, const std::string& expected) {
    Add(name, description, BadImageStage::kRead, std::move(bytes), expected);
  }
  std::vector<BadImage>& cases() { return cases_; }

 private:
  std::vector<BadImage> cases_;
};

// A valid TwoSegmentImage (LOAD R at 0, LOAD RW at 0x10000, PT_DYNAMIC at
// 0x800 with one entry and DT_NULL, sections .rodata .dynamic .data
// .shstrtab): what most cases break one field of.
RawElf Base(ElfVariant variant = kLe64);
inline constexpr uint64_t kBaseDynamicSize64 = 0x20;  // 2 Elf64_Dyn.

// `bytes` with the `width`-byte field at `offset` set to `value`.
std::vector<uint8_t> Patch(std::vector<uint8_t> bytes, ElfVariant variant,
                           uint64_t offset, int width, uint64_t value);
// Patch of an ELF header field given by its HeaderOffsets member.
std::vector<uint8_t> PatchHeader(const RawElf& elf, int HeaderOffsets::*field,
                                 uint64_t value);

enum class SectionField { kName, kOffset, kSize };
// `bytes` (an encoded RawElf) with field `field` of section header `index`
// set to `value`.
std::vector<uint8_t> PatchSection(std::vector<uint8_t> bytes,
                                  ElfVariant variant, int index,
                                  SectionField field, uint64_t value);

std::string Hex(uint64_t value);  // "0x1f"

void AddHeaderCases(Catalogue& catalogue);
void AddSectionCases(Catalogue& catalogue);
void AddSegmentCases(Catalogue& catalogue);
void AddRelocationCases(Catalogue& catalogue);
void AddPlacementCases(Catalogue& catalogue);
void AddWriterCases(Catalogue& catalogue);

}  // namespace granule::testing::bad_images

#endif  // GRANULE_TESTING_BAD_IMAGES_CASES_H_
