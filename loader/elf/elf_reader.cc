// SPDX-License-Identifier: Apache-2.0
// Decodes and checks an ELF file's headers against the image contract in
// docs/format.md. Every value read from the file is checked before use, with
// the arithmetic in platform/checked.h; every error names the file, the field
// and the value.
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "platform/checked.h"
#include "loader/elf/elf_image.h"
#include "loader/elf/image_contract.h"
#include "loader/elf/image_error.h"
#include "loader/elf/windowed_reader.h"
#include "platform/status_macros.h"

namespace granule {
namespace {

using internal::WindowedReader;

// The first read takes this much of the file's head: the ELF header and
// program headers, and often the dynamic table, in one call.
constexpr uint64_t kHeadBytes = internal::WindowedReader::kInlineBytes;
// Reading the section header table takes this much before it too, where
// granule's writer puts the section name table. Guile's name table lies at
// the file's end, a median 9 KiB past the headers; reading ahead 4 or 16 KiB
// to catch it measured no faster than a second pread (the copy costs as much
// as the call), so it gets a read of its own.
constexpr uint64_t kSectionReadBehind = 1024;
constexpr uint64_t kSectionReadAhead = 0;

// Fields of one record, read in the image's byte order. Offsets are within
// the record, which the caller has already checked is in the buffer.
class Record {
 public:
  Record(const uint8_t* data, ElfVariant variant)
      : data_(data), variant_(variant) {}
  uint64_t U8(int at) const { return data_[at]; }
  uint64_t U16(int at) const { return Load(at, 2); }
  uint64_t U32(int at) const { return Load(at, 4); }
  uint64_t U64(int at) const { return Load(at, 8); }
  // An address-sized field (Elf32_Addr/Off/Word-sized, Elf64_Addr/Off/Xword).
  uint64_t Word(int at) const { return Load(at, variant_.word_size()); }

 private:
  uint64_t Load(int at, int width) const {
    return LoadUnsigned(data_ + at, width, variant_.big_endian);
  }
  const uint8_t* data_;
  ElfVariant variant_;
};

// Reads `count` records of `size` bytes at `offset`, checking the table lies
// inside the file. `what` names the table in errors. The bytes are valid
// until the reader's next call.
absl::StatusOr<absl::Span<const uint8_t>> ReadTable(
    WindowedReader& reader, const ElfImage& image, const char* what,
    uint64_t offset, uint64_t count, uint64_t size, uint64_t read_behind = 0,
    uint64_t read_ahead = 0) {
  std::optional<uint64_t> bytes = checked::Multiply(count, size);
  if (!bytes || !checked::RangeWithin(offset, *bytes, image.file_size)) {
    return InvalidImage(
        image,
        "%s at offset 0x%x (%d entries of %d bytes) extends past "
        "the end of the file (size 0x%x)",
        what, offset, count, size, image.file_size);
  }
  return reader.View(offset, *bytes, read_behind, read_ahead);
}

absl::Status CheckIdent(const uint8_t* ident, ElfImage& image) {
  for (int i = 0; i < 4; ++i) {
    if (ident[i] != elf::kMagic[i]) {
      return InvalidImage(image,
                          "not an ELF file: e_ident magic byte %d is 0x%02x", i,
                          ident[i]);
    }
  }
  const uint8_t cls = ident[elf::kIdentClass], data = ident[elf::kIdentData];
  if (cls != elf::kClass32 && cls != elf::kClass64) {
    return InvalidImage(image,
                        "e_ident[EI_CLASS] %d is neither ELFCLASS32 (1) "
                        "nor ELFCLASS64 (2)",
                        cls);
  }
  if (data != elf::kDataLittle && data != elf::kDataBig) {
    return InvalidImage(image,
                        "e_ident[EI_DATA] %d is neither ELFDATA2LSB (1) "
                        "nor ELFDATA2MSB (2)",
                        data);
  }
  if (ident[elf::kIdentVersion] != elf::kVersionCurrent) {
    return InvalidImage(image, "e_ident[EI_VERSION] %d is not EV_CURRENT (1)",
                        ident[elf::kIdentVersion]);
  }
  image.variant = {cls == elf::kClass64, data == elf::kDataBig};
  image.os_abi = ident[elf::kIdentOsAbi];
  return absl::OkStatus();
}

struct HeaderTables {
  uint64_t phoff, shoff;
  uint64_t phnum, shnum, shstrndx;
};

absl::StatusOr<HeaderTables> ReadHeader(WindowedReader& reader,
                                        ElfImage& image,
                                        bool accept_fixed_address) {
  if (image.file_size < elf::kIdentSize) {
    return InvalidImage(image,
                        "file size %d is smaller than an ELF identification "
                        "(16 bytes)",
                        image.file_size);
  }
  uint8_t bytes[64];
  GRANULE_RETURN_IF_ERROR(reader.ReadAt(0, absl::MakeSpan(bytes, elf::kIdentSize), /*read_behind=*/0, kHeadBytes - elf::kIdentSize));
  GRANULE_RETURN_IF_ERROR(CheckIdent(bytes, image));
  const elf::ClassSizes& sizes = image.variant.sizes();
  if (image.file_size < static_cast<uint64_t>(sizes.ehdr)) {
    return InvalidImage(image,
                        "file size %d is smaller than the %s header (%d "
                        "bytes)",
                        image.file_size, image.variant.ToString(), sizes.ehdr);
  }
  GRANULE_RETURN_IF_ERROR(reader.ReadAt(0, absl::MakeSpan(bytes, sizes.ehdr)));
  const Record h(bytes, image.variant);
  const int w = sizes.word;  // Fields after e_entry shift with the word size.
  image.type = h.U16(16);
  image.machine = h.U16(18);
  const uint64_t version = h.U32(20);
  image.entry = h.Word(24);
  HeaderTables t;
  t.phoff = h.Word(24 + w);
  t.shoff = h.Word(24 + 2 * w);
  const int rest = 24 + 3 * w + 4;  // After e_flags.
  const uint64_t ehsize = h.U16(rest), phentsize = h.U16(rest + 2);
  t.phnum = h.U16(rest + 4);
  const uint64_t shentsize = h.U16(rest + 6);
  t.shnum = h.U16(rest + 8);
  t.shstrndx = h.U16(rest + 10);

  if (accept_fixed_address && image.type == elf::kTypeExec) {
    // Judged for its layout only: nothing places it at another base.
  } else if (image.type != elf::kTypeDyn) {
    return InvalidImage(image,
                        "e_type %d is not ET_DYN (3): only position-"
                        "independent images can be placed at a chosen base",
                        image.type);
  }
  if (version != elf::kVersionCurrent) {
    return InvalidImage(image, "e_version %d is not EV_CURRENT (1)", version);
  }
  if (ehsize != static_cast<uint64_t>(sizes.ehdr)) {
    return InvalidImage(image, "e_ehsize %d is not %d for %s", ehsize,
                        sizes.ehdr, image.variant.ToString());
  }
  if (t.phnum == 0 || t.phnum == elf::kPhnumEscape) {
    return InvalidImage(image,
                        "e_phnum %d: an image needs program headers "
                        "(and the 0xffff escape is not supported)",
                        t.phnum);
  }
  if (phentsize != static_cast<uint64_t>(sizes.phdr)) {
    return InvalidImage(image, "e_phentsize %d is not %d for %s", phentsize,
                        sizes.phdr, image.variant.ToString());
  }
  if (t.shnum != 0 && shentsize != static_cast<uint64_t>(sizes.shdr)) {
    return InvalidImage(image, "e_shentsize %d is not %d for %s", shentsize,
                        sizes.shdr, image.variant.ToString());
  }
  if (t.shnum != 0 && t.shstrndx >= t.shnum) {
    return InvalidImage(image, "e_shstrndx %d is not below e_shnum %d",
                        t.shstrndx, t.shnum);
  }
  return t;
}

Segment DecodeSegment(const Record& r, int index, bool is64) {
  Segment s;
  s.index = index;
  s.type = r.U32(0);
  if (is64) {  // Elf64_Phdr moves p_flags up, next to p_type.
    s.flags = r.U32(4);
    s.offset = r.U64(8);
    s.vaddr = r.U64(16);
    s.filesz = r.U64(32);
    s.memsz = r.U64(40);
    s.align = r.U64(48);
  } else {
    s.offset = r.U32(4);
    s.vaddr = r.U32(8);
    s.filesz = r.U32(16);
    s.memsz = r.U32(20);
    s.flags = r.U32(24);
    s.align = r.U32(28);
  }
  return s;
}

absl::Status ReadSegments(WindowedReader& reader, const HeaderTables& t,
                          ElfImage& image) {
  const int size = image.variant.sizes().phdr;
  absl::StatusOr<absl::Span<const uint8_t>> table = ReadTable(
      reader, image, "program header table (e_phoff)", t.phoff, t.phnum, size);
  if (!table.ok()) return table.status();
  image.segments.reserve(t.phnum);
  for (uint64_t i = 0; i < t.phnum; ++i) {
    const Record r(table->data() + i * size, image.variant);
    image.segments.push_back(
        DecodeSegment(r, static_cast<int>(i), image.variant.is64));
    const Segment& s = image.segments.back();
    if (s.is_load()) {
      GRANULE_RETURN_IF_ERROR(internal::CheckLoadSegment(image, s));
    }
  }
  GRANULE_RETURN_IF_ERROR(internal::CheckLoadOrder(image));
  for (const Segment& s : image.segments) {
    GRANULE_RETURN_IF_ERROR(internal::CheckSpecialSegment(image, s));
  }
  return absl::OkStatus();
}

absl::Status ReadDynamic(WindowedReader& reader, ElfImage& image) {
  const Segment* dynamic = image.FindSegment(elf::kPtDynamic);
  if (dynamic == nullptr) return absl::OkStatus();
  const int size = image.variant.sizes().dyn;
  if (dynamic->filesz % size != 0) {
    return InvalidImage(image,
                        "PT_DYNAMIC p_filesz 0x%x is not a multiple of the "
                        "entry size %d",
                        dynamic->filesz, size);
  }
  absl::StatusOr<absl::Span<const uint8_t>> table =
      ReadTable(reader, image, "dynamic table (PT_DYNAMIC)", dynamic->offset,
                dynamic->filesz / size, size);
  if (!table.ok()) return table.status();
  const int w = image.variant.word_size();
  image.dynamic.reserve(table->size() / size);
  for (size_t at = 0; at < table->size(); at += size) {
    const Record r(table->data() + at, image.variant);
    const DynamicEntry entry = {SignExtend(r.Word(0), w), r.Word(w)};
    if (entry.tag == elf::kDtNull) return absl::OkStatus();
    image.dynamic.push_back(entry);
  }
  // Without DT_NULL the end of the table is only p_filesz's word, which the
  // gABI does not promise; a loader must not read past it guessing.
  return InvalidImage(image,
                      "dynamic table (PT_DYNAMIC) at p_offset 0x%x has no "
                      "DT_NULL among its %d entries",
                      dynamic->offset, table->size() / size);
}

Section DecodeSection(const Record& r, int index, bool is64) {
  Section s;
  s.index = index;
  s.type = r.U32(4);
  if (is64) {
    s.flags = r.U64(8);
    s.addr = r.U64(16);
    s.offset = r.U64(24);
    s.size = r.U64(32);
    s.align = r.U64(48);
  } else {
    s.flags = r.U32(8);
    s.addr = r.U32(12);
    s.offset = r.U32(16);
    s.size = r.U32(20);
    s.align = r.U32(32);
  }
  return s;
}

absl::Status ReadSections(WindowedReader& reader, const HeaderTables& t,
                          ElfImage& image) {
  if (t.shnum == 0) return absl::OkStatus();
  const int size = image.variant.sizes().shdr;
  absl::StatusOr<absl::Span<const uint8_t>> table =
      ReadTable(reader, image, "section header table (e_shoff)", t.shoff,
                t.shnum, size, kSectionReadBehind, kSectionReadAhead);
  if (!table.ok()) return table.status();
  std::vector<uint64_t> name_offsets;
  name_offsets.reserve(t.shnum);
  image.sections.reserve(t.shnum);
  for (uint64_t i = 0; i < t.shnum; ++i) {
    const Record r(table->data() + i * size, image.variant);
    image.sections.push_back(
        DecodeSection(r, static_cast<int>(i), image.variant.is64));
    name_offsets.push_back(r.U32(0));
    const Section& s = image.sections.back();
    if (s.type != elf::kShtNobits && s.type != elf::kShtNull &&
        !checked::RangeWithin(s.offset, s.size, image.file_size)) {
      return InvalidImage(image,
                          "section header %d: sh_offset 0x%x + sh_size 0x%x "
                          "extends past the end of the file (size 0x%x)",
                          i, s.offset, s.size, image.file_size);
    }
  }
  if (t.shstrndx == 0) return absl::OkStatus();  // SHN_UNDEF: no names.
  const Section& names = image.sections[t.shstrndx];
  if (names.type != elf::kShtStrtab) {
    return InvalidImage(image,
                        "e_shstrndx %d names section type %d, not "
                        "SHT_STRTAB (3)",
                        t.shstrndx, names.type);
  }
  // The section header table's bytes are not used past here: the name
  // table's read may replace them.
  GRANULE_ASSIGN_OR_RETURN(absl::Span<const uint8_t> strings,
                           reader.View(names.offset, names.size));
  for (size_t i = 0; i < image.sections.size(); ++i) {
    const uint64_t at = name_offsets[i];
    uint64_t end = at;
    while (end < strings.size() && strings[end] != 0) ++end;
    if (end >= strings.size()) {
      return InvalidImage(
          image,
          "section header %d: sh_name %d is not a "
          "terminated string in the section name table (size %d)",
          i, at, strings.size());
    }
    image.sections[i].name.assign(strings.begin() + at, strings.begin() + end);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ElfImage> internal::ReadElfImageWith(
    std::string path, uint64_t file_size, ReadAtFunction read,
    bool accept_fixed_address, SectionTable sections) {
  ElfImage image;
  image.path = std::move(path);
  image.file_size = file_size;
  WindowedReader reader(file_size, std::move(read));
  absl::StatusOr<HeaderTables> tables =
      ReadHeader(reader, image, accept_fixed_address);
  if (!tables.ok()) return tables.status();
  GRANULE_RETURN_IF_ERROR(ReadSegments(reader, *tables, image));
  GRANULE_RETURN_IF_ERROR(ReadDynamic(reader, image));
  if (sections == SectionTable::kSkip) {
    image.section_table_read = false;
    return image;
  }
  GRANULE_RETURN_IF_ERROR(ReadSections(reader, *tables, image));
  return image;
}

absl::StatusOr<ElfImage> ReadElfImage(const File& file) {
  return internal::ReadElfImageWith(
      file.path(), file.size(),
      [&file](uint64_t offset, absl::Span<uint8_t> out) {
        return file.ReadAt(offset, out);
      });
}

absl::StatusOr<ElfImage> ReadElfLayout(const File& file) {
  return internal::ReadElfImageWith(
      file.path(), file.size(),
      [&file](uint64_t offset, absl::Span<uint8_t> out) {
        return file.ReadAt(offset, out);
      },
      /*accept_fixed_address=*/true);
}

absl::StatusOr<ElfImage> ReadElfImage(const File& file, bool* was_cached,
                                      SectionTable sections) {
  *was_cached = false;
  // One pointer captured, so the reader's std::function allocates nothing.
  struct FirstReadProbe {
    const File& file;
    bool* was_cached;
    bool first = true;
  } probe{file, was_cached};
  return internal::ReadElfImageWith(
      file.path(), file.size(),
      [&probe](uint64_t offset, absl::Span<uint8_t> out) -> absl::Status {
        if (!std::exchange(probe.first, false)) {
          return probe.file.ReadAt(offset, out);
        }
        absl::StatusOr<bool> cached = probe.file.ReadAtIfCached(offset, out);
        if (!cached.ok()) return cached.status();
        *probe.was_cached = *cached;
        return *cached ? absl::OkStatus() : probe.file.ReadAt(offset, out);
      },
      /*accept_fixed_address=*/false, sections);
}

}  // namespace granule
