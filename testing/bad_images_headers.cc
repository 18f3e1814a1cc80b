// SPDX-License-Identifier: Apache-2.0
// Catalogue cases in the ELF header and the section header table: what
// ReadElfImage refuses before it looks at a segment.
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "testing/bad_images_cases.h"

namespace granule::testing::bad_images {
namespace {

using H = HeaderOffsets;

std::vector<uint8_t> Prefix(const RawElf& elf, size_t length) {
  std::vector<uint8_t> bytes = elf.Encode();
  bytes.resize(length);
  return bytes;
}

std::vector<uint8_t> WithByte(const RawElf& elf, size_t offset, uint8_t value) {
  std::vector<uint8_t> bytes = elf.Encode();
  bytes[offset] = value;
  return bytes;
}

// "program header table (e_phoff) at offset 0x40 (3 entries of 56 bytes)
// extends past the end of the file (size 0x78)"
std::string TablePastEnd(const char* table, uint64_t offset, uint64_t count,
                         int entry_size, uint64_t file_size) {
  return absl::StrFormat(
      "%s at offset 0x%x (%d entries of %d bytes) extends past the end of "
      "the file (size 0x%x)",
      table, offset, count, entry_size, file_size);
}
constexpr char kPhdrs[] = "program header table (e_phoff)";
constexpr char kShdrs[] = "section header table (e_shoff)";

void AddTruncations(Catalogue& c) {
  c.Read("empty_file", "a file of 0 bytes", {},
         "file size 0 is smaller than an ELF identification (16 bytes)");
  c.Read("truncated_ident_4_bytes", "only the magic number", Prefix(Base(), 4),
         "file size 4 is smaller than an ELF identification (16 bytes)");
  c.Read("truncated_ident_15_bytes", "e_ident one byte short",
         Prefix(Base(), 15),
         "file size 15 is smaller than an ELF identification");
  c.Read("truncated_elf64_header_16_bytes", "e_ident and nothing after",
         Prefix(Base(), 16),
         "file size 16 is smaller than the ELF64 little-endian header (64 "
         "bytes)");
  c.Read("truncated_elf64_header_63_bytes", "ELF64 header one byte short",
         Prefix(Base(kBe64), 63),
         "file size 63 is smaller than the ELF64 big-endian header (64 bytes)");
  c.Read("truncated_elf32_header_51_bytes", "ELF32 header one byte short",
         Prefix(Base(kLe32), 51),
         "file size 51 is smaller than the ELF32 little-endian header (52 "
         "bytes)");
  c.Read("truncated_in_program_headers",
         "the file ends after the first of three program headers",
         Prefix(Base(), 64 + 56), TablePastEnd(kPhdrs, 0x40, 3, 56, 0x78));
}

void AddIdentCases(Catalogue& c) {
  c.Read("bad_magic_byte_0", "0x7e instead of 0x7f", WithByte(Base(), 0, 0x7e),
         "not an ELF file: e_ident magic byte 0 is 0x7e");
  c.Read("bad_magic_byte_3", "'f' instead of 'F'", WithByte(Base(), 3, 'f'),
         "not an ELF file: e_ident magic byte 3 is 0x66");
  const std::string script = "#!/bin/sh\necho this is not an image\n";
  c.Read("shell_script", "a text file, long enough to have a header",
         std::vector<uint8_t>(script.begin(), script.end()),
         "not an ELF file: e_ident magic byte 0 is 0x23");
  for (int cls : {0, 3}) {
    c.Read(absl::StrCat("ei_class_", cls), "neither ELF32 nor ELF64",
           WithByte(Base(), 4, cls),
           absl::StrFormat("e_ident[EI_CLASS] %d is neither ELFCLASS32 (1) "
                           "nor ELFCLASS64 (2)",
                           cls));
  }
  for (int data : {0, 3}) {
    c.Read(absl::StrCat("ei_data_", data), "neither little nor big-endian",
           WithByte(Base(), 5, data),
           absl::StrFormat("e_ident[EI_DATA] %d is neither ELFDATA2LSB (1) "
                           "nor ELFDATA2MSB (2)",
                           data));
  }
  for (int version : {0, 2}) {
    c.Read(absl::StrCat("ei_version_", version), "e_ident[EI_VERSION] not 1",
           WithByte(Base(kBe32), 6, version),
           absl::StrFormat("e_ident[EI_VERSION] %d is not EV_CURRENT (1)",
                           version));
  }
}

void AddHeaderFieldCases(Catalogue& c) {
  const struct {
    const char* name;
    int type;
    ElfVariant variant;
  } types[] = {{"e_type_rel", 1, kBe32},
               {"e_type_exec", 2, kLe64},
               {"e_type_core", 4, kLe64}};
  for (const auto& t : types) {
    c.Read(t.name, "not ET_DYN: not position independent",
           PatchHeader(Base(t.variant), &H::type, t.type),
           absl::StrFormat("e_type %d is not ET_DYN (3)", t.type));
  }
  c.Read("e_version_0", "e_version not 1", PatchHeader(Base(), &H::version, 0),
         "e_version 0 is not EV_CURRENT (1)");
  c.Read("e_ehsize_elf32_size_in_elf64", "e_ehsize 52 in an ELF64 file",
         PatchHeader(Base(), &H::ehsize, 52),
         "e_ehsize 52 is not 64 for ELF64 little-endian");
  c.Read("e_ehsize_elf64_size_in_elf32", "e_ehsize 64 in an ELF32 file",
         PatchHeader(Base(kLe32), &H::ehsize, 64),
         "e_ehsize 64 is not 52 for ELF32 little-endian");
  c.Read("e_phentsize_elf32_size_in_elf64", "e_phentsize 32 in ELF64",
         PatchHeader(Base(), &H::phentsize, 32),
         "e_phentsize 32 is not 56 for ELF64 little-endian");
  c.Read("e_phentsize_0", "e_phentsize 0 in ELF32",
         PatchHeader(Base(kBe32), &H::phentsize, 0),
         "e_phentsize 0 is not 32 for ELF32 big-endian");
  c.Read("e_phnum_0", "no program headers at all",
         PatchHeader(Base(), &H::phnum, 0),
         "e_phnum 0: an image needs program headers");
  c.Read("e_phnum_0xffff", "PN_XNUM, the escape to section 0's sh_info",
         PatchHeader(Base(), &H::phnum, 0xffff),
         "e_phnum 65535: an image needs program headers (and the 0xffff "
         "escape is not supported)");
  c.Read("e_shentsize_elf32_size_in_elf64", "e_shentsize 40 in ELF64",
         PatchHeader(Base(), &H::shentsize, 40),
         "e_shentsize 40 is not 64 for ELF64 little-endian");
  c.Read("e_shstrndx_equal_to_e_shnum", "names table index out of range",
         PatchHeader(Base(), &H::shstrndx, 5),
         "e_shstrndx 5 is not below e_shnum 5");
  c.Read("e_shstrndx_0xffff", "SHN_XINDEX, not supported",
         PatchHeader(Base(kBe64), &H::shstrndx, 0xffff),
         "e_shstrndx 65535 is not below e_shnum 5");
}

void AddTableCases(Catalogue& c) {
  const uint64_t size64 = Base().Encode().size();
  const uint64_t size32 = Base(kLe32).Encode().size();
  c.Read("e_phoff_past_end", "program headers after the end of the file",
         PatchHeader(Base(), &H::phoff, size64 + 0x100),
         TablePastEnd(kPhdrs, size64 + 0x100, 3, 56, size64));
  c.Read("e_phoff_wraps_64", "e_phoff + 3 * 56 wraps around 2^64",
         PatchHeader(Base(), &H::phoff, 0xffffffffffffffc8),
         TablePastEnd(kPhdrs, 0xffffffffffffffc8, 3, 56, size64));
  c.Read("e_phoff_wraps_32", "ELF32 e_phoff + 3 * 32 wraps around 2^32",
         PatchHeader(Base(kLe32), &H::phoff, 0xffffffe0),
         TablePastEnd(kPhdrs, 0xffffffe0, 3, 32, size32));
  c.Read("e_phnum_table_past_end", "65520 program headers in a small file",
         PatchHeader(Base(), &H::phnum, 0xfff0),
         TablePastEnd(kPhdrs, 0x40, 0xfff0, 56, size64));
  c.Read("e_shoff_past_end", "section headers after the end of the file",
         PatchHeader(Base(), &H::shoff, size64),
         TablePastEnd(kShdrs, size64, 5, 64, size64));
  c.Read("e_shoff_wraps_64", "e_shoff + 5 * 64 wraps around 2^64",
         PatchHeader(Base(), &H::shoff, 0xffffffffffffff00),
         TablePastEnd(kShdrs, 0xffffffffffffff00, 5, 64, size64));
  c.Read("e_shoff_wraps_32", "ELF32 e_shoff + 5 * 40 wraps around 2^32",
         PatchHeader(Base(kBe32), &H::shoff, 0xffffff00),
         TablePastEnd(kShdrs, 0xffffff00, 5, 40, Base(kBe32).Encode().size()));
  c.Read("e_shnum_table_past_end", "65535 section headers in a small file",
         PatchHeader(Base(), &H::shnum, 0xffff),
         TablePastEnd(kShdrs, size64 - 5 * 64, 0xffff, 64, size64));
}

}  // namespace

void AddHeaderCases(Catalogue& c) {
  AddTruncations(c);
  AddIdentCases(c);
  AddHeaderFieldCases(c);
  AddTableCases(c);
}

// Sections: 0 null, 1 .rodata, 2 .dynamic, 3 .data, 4 .shstrtab, whose 34
// bytes are "\0.rodata\0.dynamic\0.data\0.shstrtab\0" at file offset 0x11000.
void AddSectionCases(Catalogue& c) {
  const std::vector<uint8_t> base = Base().Encode();
  const uint64_t size = base.size();
  c.Read("e_shstrndx_names_progbits", "the names table is .rodata",
         PatchHeader(Base(), &H::shstrndx, 1),
         "e_shstrndx 1 names section type 1, not SHT_STRTAB (3)");
  c.Read("sh_name_past_names_table", "a name offset past the names table",
         PatchSection(base, kLe64, 1, SectionField::kName, 0x1000),
         "section header 1: sh_name 4096 is not a terminated string in the "
         "section name table (size 34)");
  std::vector<uint8_t> unterminated = base;
  unterminated[0x11000 + 33] = 'X';  // The NUL ending ".shstrtab".
  c.Read("sh_name_unterminated", "the last name runs to the table's end",
         unterminated,
         "section header 4: sh_name 24 is not a terminated string in the "
         "section name table (size 34)");
  c.Read("section_past_file_end", ".rodata's sh_size runs past the file",
         PatchSection(base, kLe64, 1, SectionField::kSize, 0x100000),
         absl::StrFormat("section header 1: sh_offset 0x100 + sh_size "
                         "0x100000 extends past the end of the file (size "
                         "0x%x)",
                         size));
  c.Read(
      "section_offset_wraps_64", "sh_offset + sh_size wraps around 2^64",
      PatchSection(base, kLe64, 3, SectionField::kOffset, 0xfffffffffffff000),
      "section header 3: sh_offset 0xfffffffffffff000 + sh_size 0x1000 "
      "extends past the end of the file");
  c.Read("section_offset_wraps_32",
         "ELF32 sh_offset + sh_size wraps around 2^32",
         PatchSection(Base(kLe32).Encode(), kLe32, 3, SectionField::kOffset,
                      0xfffff800),
         "section header 3: sh_offset 0xfffff800 + sh_size 0x1000 extends "
         "past the end of the file");
  c.Read("names_table_past_file_end", ".shstrtab's sh_size runs past the file",
         PatchSection(base, kLe64, 4, SectionField::kSize, 0x10000),
         "section header 4: sh_offset 0x11000 + sh_size 0x10000 extends past "
         "the end of the file");
}

}  // namespace granule::testing::bad_images
