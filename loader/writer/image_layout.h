// SPDX-License-Identifier: Apache-2.0
// The writer's first half: where every section and segment of an ImageSpec
// goes, in the file and in memory, before any byte is encoded.
#ifndef GRANULE_LOADER_WRITER_IMAGE_LAYOUT_H_
#define GRANULE_LOADER_WRITER_IMAGE_LAYOUT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "loader/writer/image_writer.h"

namespace granule::image_layout {

// Everything a section header says about a section, and where its name is.
struct PlacedSection {
  std::string name;
  uint32_t name_offset = 0;  // In .shstrtab.
  uint32_t type = elf::kShtProgbits;
  uint64_t flags = elf::kShfAlloc;
  uint64_t alignment = 1;
  uint64_t size = 0;  // sh_size: the memory size for NOBITS.
  uint64_t entsize = 0;
  uint64_t offset = 0;  // For NOBITS, where its bytes would be.
  uint64_t vaddr = 0;
};

// The empty dynamic symbol table: one null Elf_Sym, a one-byte .dynstr, a
// .hash of one bucket and one chain (nbucket, nchain, bucket[0], chain[0]).
inline constexpr uint64_t kSymbolSize32 = 16, kSymbolSize64 = 24;
inline constexpr uint64_t kHashWords = 4;

// The size of a .hash word: 4 bytes, but 8 on 64-bit s390 (as glibc and
// binutils have it).
uint64_t HashWordSize(const ImageSpec& spec);

struct PlacedSegment {
  uint32_t flags;  // PF_*.
  uint64_t offset, vaddr, filesz, memsz;
};

// What the writer adds to the R segment besides the spec's sections.
struct GeneratedSections {
  // The relocation table; none when `table_name` is empty.
  std::string table_name;  // ".rela.dyn", ".rel.dyn" or ".relr.dyn".
  uint32_t table_type = 0;
  uint64_t table_entsize = 0;
  uint64_t table_size = 0;
  uint64_t dynamic_count = 0;  // Entries in .dynamic, DT_NULL included.
};

struct ImageLayout {
  // Spec sections in spec order, then .hash, .dynsym, .dynstr, the
  // relocation table (if any) and .dynamic: section header k + 1 describes
  // sections[k].
  std::vector<PlacedSection> sections;
  // The gABI's dynamic symbol table, empty but for the null symbol: the
  // relocation table and .dynamic link to it and its string table, and a
  // dynamic object must have DT_HASH, DT_SYMTAB and DT_STRTAB.
  int hash_index = 0, dynsym_index = 0, dynstr_index = 0;
  int table_index = -1;  // Into `sections`; -1 without a table.
  int dynamic_index = 0;
  std::vector<PlacedSegment> loads;  // R, then RX and RW when present.
  uint64_t phnum = 0;                // loads, then PT_DYNAMIC.
  std::string shstrtab;              // Section names, NUL-terminated.
  uint64_t shstrtab_offset = 0;
  uint64_t shoff = 0;  // The section header table, the last thing in the file.
  uint64_t shnum = 0;  // Including the null section and .shstrtab.
  uint64_t file_size = 0;
};

// Checks what does not depend on placement: the segment alignment, section
// names, alignments and NOBITS rules.
absl::Status ValidateSections(const ImageSpec& spec);

// Places a validated spec. Each PT_LOAD's sections are laid out from a start
// aligned to their largest alignment (and the word size), so the distance
// between two sections of one segment does not depend on where the segment
// lands. Errors name the section that overflows or an ELF32 field that
// cannot hold its value.
absl::StatusOr<ImageLayout> LayOutImage(const ImageSpec& spec,
                                        const GeneratedSections& generated);

// "R", "RX", "RW".
const char* AccessName(SectionAccess access);

}  // namespace granule::image_layout

#endif  // GRANULE_LOADER_WRITER_IMAGE_LAYOUT_H_
