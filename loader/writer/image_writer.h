// SPDX-License-Identifier: Apache-2.0
// The linker side: lays sections out into 64 KiB-aligned segments and writes
// an ELF image granule's loader (and Guile's) can map on any page size.
#ifndef GRANULE_LOADER_WRITER_IMAGE_WRITER_H_
#define GRANULE_LOADER_WRITER_IMAGE_WRITER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "loader/elf/byte_order.h"
#include "loader/elf/elf_image.h"

namespace granule {

// The segment a section goes to. Sections are grouped by access into at most
// three PT_LOAD segments, in this order: R (which also holds the ELF and
// program headers, the relocation table and .dynamic), RX, RW.
enum class SectionAccess { kRead, kReadExecute, kReadWrite };

// True for the names of the sections the writer adds itself (.dynamic,
// .rela.dyn, .rel.dyn, .relr.dyn, .shstrtab), which a SectionSpec may not use.
bool IsWriterSectionName(const std::string& name);

struct SectionSpec {
  // ".rodata", ".data", ...: unique, and none of the names of the sections
  // the writer adds (.rela.dyn, .rel.dyn, .relr.dyn, .dynamic, .shstrtab).
  std::string name;
  SectionAccess access = SectionAccess::kRead;
  uint64_t alignment = 8;  // A power of two.
  std::vector<uint8_t> bytes;
  // When non-zero, the section is SHT_NOBITS of this size (bytes must be
  // empty): zero-filled memory with no file bytes. Only in RW, placed last.
  uint64_t zero_size = 0;
};

// A place in the image named by section: its address is the section's
// address plus `offset`.
struct SectionRef {
  std::string section;
  uint64_t offset = 0;
};

// A relative relocation: the word at `place` becomes base + address(`target`).
struct RelocationSpec {
  SectionRef place;  // Must be word-aligned, inside an RW section.
  SectionRef target;
};

// A dynamic entry whose value is either a plain number or an address.
struct DynamicSpec {
  int64_t tag;
  uint64_t value = 0;           // Used when `address_of` is empty.
  std::string address_of;       // Section name; value is then its address
  uint64_t address_offset = 0;  // plus this.
};

enum class RelocationFormat { kRela, kRel, kRelr };
const char* RelocationFormatName(RelocationFormat format);  // "rela", ...

struct ImageSpec {
  ElfVariant variant;
  uint16_t machine = elf::kMachineNone;
  uint8_t os_abi = 0;
  Layout layout = Layout::kOneToOne;
  uint64_t segment_alignment = elf::kImageAlignment;  // p_align, power of 2.
  RelocationFormat relocation_format = RelocationFormat::kRela;
  std::vector<SectionSpec> sections;
  std::vector<RelocationSpec> relocations;
  // After the writer's DT_RELA/DT_REL/DT_RELR entries (so the spec may not
  // hold those tags) and before the DT_NULL the writer adds.
  std::vector<DynamicSpec> dynamic;
};

// The image as extents of bytes; the gaps between them are zeros that need
// not be written (holes in a sparse file).
struct ImageBytes {
  struct Extent {
    uint64_t offset;
    std::vector<uint8_t> bytes;
  };
  uint64_t file_size = 0;
  std::vector<Extent> extents;  // Sorted, non-overlapping.

  std::vector<uint8_t> Flatten() const;  // The whole file, gaps as zeros.
};

// Lays out `spec`. Errors name the section, relocation or entry at fault.
absl::StatusOr<ImageBytes> BuildImage(const ImageSpec& spec);

// BuildImage, then writes it to `path` atomically (temporary file in the same
// directory, fsync, rename): a reader sees the old file or the whole new one,
// never a part. Gaps are holes. On error nothing is left behind.
absl::Status WriteImage(const ImageSpec& spec, const std::string& path);

}  // namespace granule

#endif  // GRANULE_LOADER_WRITER_IMAGE_WRITER_H_
