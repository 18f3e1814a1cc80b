// SPDX-License-Identifier: Apache-2.0
// An ELF file's headers, decoded and checked, before anything is mapped:
// what `granule check` reports on and what the loader maps from.
#ifndef GRANULE_LOADER_ELF_ELF_IMAGE_H_
#define GRANULE_LOADER_ELF_ELF_IMAGE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/status/statusor.h"
#include "loader/elf/byte_order.h"
#include "platform/file.h"

namespace granule {

// A program header. Fields widened to 64 bits for both classes.
struct Segment {
  int index;  // Position in the program header table.
  uint32_t type;
  uint32_t flags;
  uint64_t offset, vaddr, filesz, memsz, align;

  bool is_load() const { return type == elf::kPtLoad; }
  bool writable() const { return (flags & elf::kPfW) != 0; }
  bool executable() const { return (flags & elf::kPfX) != 0; }
  uint64_t vaddr_end() const { return vaddr + memsz; }  // Checked on read.
  std::string FlagString() const;  // "R", "RW", "RX".
};

struct Section {
  int index;
  std::string name;  // Empty when the file has no section name table.
  uint32_t type;
  uint64_t flags, addr, offset, size, align;

  bool allocated() const { return (flags & elf::kShfAlloc) != 0; }
};

struct DynamicEntry {
  int64_t tag;
  uint64_t value;
};

// How file offsets relate to addresses across the PT_LOAD segments.
enum class Layout {
  kOneToOne,  // p_offset == p_vaddr everywhere: Guile's .go files.
  kCompact,   // p_vaddr == p_offset modulo p_align, no padding on disk.
};
const char* LayoutName(Layout layout);  // "1:1", "compact".

// The PT_LOAD segments of an image, in order. Inline: a load asks for them
// several times and images rarely have more than a few.
using LoadSegmentList = absl::InlinedVector<const Segment*, 4>;

struct ElfImage {
  std::string path;
  uint64_t file_size = 0;
  ElfVariant variant;
  uint8_t os_abi = 0;
  uint16_t type = 0;
  uint16_t machine = 0;
  uint64_t entry = 0;
  Layout layout = Layout::kOneToOne;

  std::vector<Segment> segments;  // All program headers, in file order.
  std::vector<Section> sections;  // Empty when e_shnum is 0 or not read.
  bool section_table_read = true;  // False after SectionTable::kSkip.
  std::vector<DynamicEntry> dynamic;  // Up to, not including, DT_NULL.

  LoadSegmentList LoadSegments() const;
  const Segment* FindSegment(uint32_t type) const;  // The first one.
  const Section* FindSection(const std::string& name) const;
  std::optional<uint64_t> DynamicValue(int64_t tag) const;  // The first one.

  // Address span of the PT_LOAD segments: [load_start, load_end). load_start
  // is rounded down to max_load_align so the load bias keeps every alignment.
  uint64_t load_start() const;
  uint64_t load_end() const;
  uint64_t max_load_align() const;  // Largest p_align (at least 1).
  // True when every PT_LOAD has p_align >= 64 KiB (and, for the 1:1 layout,
  // starts on a 64 KiB multiple): the alignment granule's writer produces.
  bool MeetsAlignmentContract() const;
};

// Reads and checks the ELF header, program headers, section headers and the
// dynamic table of `file` against the image contract (docs/format.md). Every
// error names the file, the field and the offending value.
absl::StatusOr<ElfImage> ReadElfImage(const File& file);
// The same checks, but an executable linked at fixed addresses (ET_EXEC) is
// accepted too: no loader here places one, yet whether its segments map on a
// page size is a question about its program headers alone (`granule check`).
// Nothing about relocations is read or judged.
absl::StatusOr<ElfImage> ReadElfLayout(const File& file);
// Whether the reader reads the section header table and its names. Placing
// and relocating an image never needs them (ld.so never reads them); a
// caller that finds its sections in the mapped file itself, as Guile does,
// saves two reads and the table's memory with kSkip. Nothing in the table is
// then checked, and `sections` stays empty.
enum class SectionTable { kRead, kSkip };

// ReadElfImage, also saying whether the file's first bytes came from the
// page cache (File::ReadAtIfCached): a file read or loaded recently.
absl::StatusOr<ElfImage> ReadElfImage(
    const File& file, bool* was_cached,
    SectionTable sections = SectionTable::kRead);

// Whether a dynamic tag's value is an address (d_ptr) rather than a number.
bool IsAddressTag(int64_t tag);
// "INIT", "RELA", "GUILE_ENTRY", or the tag in hex.
std::string DynamicTagName(int64_t tag);

}  // namespace granule

#endif  // GRANULE_LOADER_ELF_ELF_IMAGE_H_
