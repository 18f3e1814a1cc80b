// SPDX-License-Identifier: Apache-2.0
// A test-only ELF encoder, independent of granule's writer, so reader and
// loader tests do not trust the code they are checking against. It writes
// exactly the headers it is given, valid or not.
#ifndef GRANULE_TESTING_RAW_ELF_H_
#define GRANULE_TESTING_RAW_ELF_H_

#include <cstdint>
#include <string>
#include <vector>

#include "loader/elf/byte_order.h"
#include "loader/elf/elf_image.h"

namespace granule::testing {

struct RawSection {
  std::string name;
  uint32_t type = elf::kShtProgbits;
  uint64_t flags = elf::kShfAlloc;
  uint64_t addr = 0, offset = 0, size = 0, align = 8;
};

struct RawElf {
  ElfVariant variant;
  uint16_t type = elf::kTypeDyn;
  uint16_t machine = elf::kMachineNone;
  std::vector<Segment> segments;  // `index` is ignored.
  std::vector<RawSection> sections;  // Index 0 (null) and .shstrtab added.
  // The file's bytes after the headers; Put() places data at file offsets.
  std::vector<uint8_t> body;

  void Put(uint64_t offset, const std::vector<uint8_t>& bytes);
  void PutWord(uint64_t offset, uint64_t value);  // Address-sized.
  // Writes Elf_Dyn entries (then DT_NULL) at `offset`; returns their size.
  uint64_t PutDynamic(uint64_t offset,
                      const std::vector<DynamicEntry>& entries);
  // Elf_Rela / Elf_Rel entries with symbol 0.
  uint64_t PutRela(uint64_t offset, const std::vector<uint64_t>& places,
                   uint32_t type, const std::vector<int64_t>& addends);
  uint64_t PutRel(uint64_t offset, const std::vector<uint64_t>& places,
                  uint32_t type);

  // Program headers start right after the ELF header; section headers and
  // their name table follow the body.
  uint64_t phoff() const { return variant.sizes().ehdr; }
  std::vector<uint8_t> Encode() const;
};

// A typical granule image: LOAD R [0, 0x1000) and LOAD RW at 0x10000
// (0x1000 bytes), 64 KiB p_align, 1:1, a PT_DYNAMIC at 0x800 in the R
// segment with `dynamic`, and the body sized to the RW segment's end.
RawElf TwoSegmentImage(ElfVariant variant,
                       const std::vector<DynamicEntry>& dynamic = {});

enum class RawRelocations { kRela, kRel, kRelr };
inline constexpr uint64_t kRelocationTable = 0x900;  // In the R segment.
inline constexpr int64_t kAddends[2] = {0x100, 0x200};

// TwoSegmentImage with two relative relocations of type `type` in `format`,
// a table at kRelocationTable: the first two words of the RW segment
// (0x10000 and 0x10000 + word size) get base + kAddends[i]. REL and RELR
// addends are stored in place.
RawElf RelocatedImage(ElfVariant variant, RawRelocations format,
                      uint16_t machine, uint32_t type);

// Offsets of ELF header fields in `variant`, for tests that corrupt them.
struct HeaderOffsets {
  int type = 16, machine = 18, version = 20, entry = 24;
  int phoff, shoff, flags, ehsize, phentsize, phnum, shentsize, shnum,
      shstrndx;
};
HeaderOffsets HeaderFieldOffsets(ElfVariant variant);

}  // namespace granule::testing

#endif  // GRANULE_TESTING_RAW_ELF_H_
