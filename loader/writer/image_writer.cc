// SPDX-License-Identifier: Apache-2.0
// BuildImage: validates the spec, lays it out (image_layout.cc), resolves the
// relocations (image_relocations.cc) and encodes headers, .dynamic and the
// section table field by field, so every variant comes out right on any host.
#include "loader/writer/image_writer.h"

#include <algorithm>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "loader/writer/image_layout.h"
#include "loader/writer/image_relocations.h"
#include "platform/atomic_file/atomic_file.h"
#include "platform/status_macros.h"

namespace granule {
namespace {

using image_layout::ImageLayout;
using image_layout::PlacedSection;
using image_layout::PlacedSegment;
using image_relocations::ResolvedRelocation;

// Appends fields in the image's byte order.
class Encoder {
 public:
  explicit Encoder(ElfVariant variant) : variant_(variant) {}

  void Put(int width, uint64_t value) {
    bytes_.resize(bytes_.size() + width);
    StoreUnsigned(&bytes_[bytes_.size() - width], width, variant_.big_endian,
                  value);
  }
  void Word(uint64_t value) { Put(variant_.word_size(), value); }
  void Pad(size_t to) { bytes_.resize(std::max(bytes_.size(), to)); }
  std::vector<uint8_t>& bytes() { return bytes_; }

 private:
  ElfVariant variant_;
  std::vector<uint8_t> bytes_;
};

// Entries the writer adds for its symbol table.
bool IsSymbolTableTag(int64_t tag) {
  return tag == elf::kDtHash || tag == elf::kDtStrtab ||
         tag == elf::kDtSymtab || tag == elf::kDtStrsz ||
         tag == elf::kDtSyment;
}

bool IsRelocationTag(int64_t tag) {
  switch (tag) {
    case elf::kDtRela:
    case elf::kDtRelasz:
    case elf::kDtRelaent:
    case elf::kDtRel:
    case elf::kDtRelsz:
    case elf::kDtRelent:
    case elf::kDtRelr:
    case elf::kDtRelrsz:
    case elf::kDtRelrent:
      return true;
  }
  return false;
}

absl::Status InvalidDynamic(int index, int64_t tag, const std::string& what) {
  return absl::InvalidArgumentError(
      absl::StrFormat("dynamic entry %d (tag %#x): %s", index, tag, what));
}

// What can be checked about spec.dynamic before the layout.
absl::Status CheckDynamicTags(const ImageSpec& spec) {
  for (size_t i = 0; i < spec.dynamic.size(); ++i) {
    const DynamicSpec& d = spec.dynamic[i];
    if (d.tag == elf::kDtNull) {
      return InvalidDynamic(i, d.tag,
                            "DT_NULL ends the table; the writer adds it");
    }
    if (IsRelocationTag(d.tag)) {
      return InvalidDynamic(
          i, d.tag, "relocation entries are written from the relocations");
    }
    if (IsSymbolTableTag(d.tag)) {
      return InvalidDynamic(
          i, d.tag, "the writer adds the symbol table's entries itself");
    }
    if (!spec.variant.is64 && (d.tag < INT32_MIN || d.tag > INT32_MAX)) {
      return InvalidDynamic(i, d.tag, "the tag does not fit ELF32's d_tag");
    }
    if (!spec.variant.is64 && d.address_of.empty() && d.value > UINT32_MAX) {
      return InvalidDynamic(
          i, d.tag,
          absl::StrFormat("value %#x does not fit ELF32's d_val", d.value));
    }
  }
  return absl::OkStatus();
}

// The relocation entries, the spec's entries with addresses resolved, DT_NULL.
absl::StatusOr<std::vector<DynamicEntry>> DynamicEntries(
    const ImageSpec& spec, const ImageLayout& layout) {
  std::vector<DynamicEntry> entries;
  if (layout.table_index >= 0) {
    const PlacedSection& table = layout.sections[layout.table_index];
    int64_t tags[3] = {elf::kDtRela, elf::kDtRelasz, elf::kDtRelaent};
    if (table.type == elf::kShtRel) {
      tags[0] = elf::kDtRel, tags[1] = elf::kDtRelsz, tags[2] = elf::kDtRelent;
    } else if (table.type == elf::kShtRelr) {
      tags[0] = elf::kDtRelr, tags[1] = elf::kDtRelrsz,
      tags[2] = elf::kDtRelrent;
    }
    entries.push_back({tags[0], table.vaddr});
    entries.push_back({tags[1], table.size});
    entries.push_back({tags[2], table.entsize});
  }
  std::map<std::string, const PlacedSection*> by_name;
  for (size_t i = 0; i < spec.sections.size(); ++i) {
    by_name.emplace(spec.sections[i].name, &layout.sections[i]);
  }
  for (size_t i = 0; i < spec.dynamic.size(); ++i) {
    const DynamicSpec& d = spec.dynamic[i];
    if (d.address_of.empty()) {
      entries.push_back({d.tag, d.value});
      continue;
    }
    auto it = by_name.find(d.address_of);
    if (it == by_name.end()) {
      return InvalidDynamic(
          i, d.tag, absl::StrFormat("no section named '%s'", d.address_of));
    }
    const PlacedSection& s = *it->second;
    if (d.address_offset > s.size) {
      return InvalidDynamic(
          i, d.tag,
          absl::StrFormat("offset %#x is past the end of '%s' (%u bytes)",
                          d.address_offset, s.name, s.size));
    }
    const uint64_t value = s.vaddr + d.address_offset;
    if (!spec.variant.is64 && value > UINT32_MAX) {
      return InvalidDynamic(
          i, d.tag,
          absl::StrFormat("address %#x does not fit ELF32's d_ptr", value));
    }
    entries.push_back({d.tag, value});
  }
  const PlacedSection& dynsym = layout.sections[layout.dynsym_index];
  const PlacedSection& dynstr = layout.sections[layout.dynstr_index];
  entries.push_back({elf::kDtHash, layout.sections[layout.hash_index].vaddr});
  entries.push_back({elf::kDtStrtab, dynstr.vaddr});
  entries.push_back({elf::kDtSymtab, dynsym.vaddr});
  entries.push_back({elf::kDtStrsz, dynstr.size});
  entries.push_back({elf::kDtSyment, dynsym.entsize});
  entries.push_back({elf::kDtNull, 0});
  return entries;
}

std::vector<uint8_t> EncodeDynamic(ElfVariant variant,
                                   const std::vector<DynamicEntry>& entries) {
  Encoder e(variant);
  for (const DynamicEntry& entry : entries) {
    e.Word(static_cast<uint64_t>(entry.tag));  // Two's complement d_tag.
    e.Word(entry.value);
  }
  return std::move(e.bytes());
}

// The ELF header and the program headers, from offset 0.
std::vector<uint8_t> EncodeHeaders(const ImageSpec& spec,
                                   const ImageLayout& layout) {
  const elf::ClassSizes& sizes = spec.variant.sizes();
  Encoder e(spec.variant);
  for (uint8_t b : elf::kMagic) e.Put(1, b);
  e.Put(1, spec.variant.is64 ? elf::kClass64 : elf::kClass32);
  e.Put(1, spec.variant.big_endian ? elf::kDataBig : elf::kDataLittle);
  e.Put(1, elf::kVersionCurrent);
  e.Put(1, spec.os_abi);
  e.Pad(elf::kIdentSize);
  e.Put(2, elf::kTypeDyn);
  e.Put(2, spec.machine);
  e.Put(4, elf::kVersionCurrent);
  e.Word(0);           // e_entry.
  e.Word(sizes.ehdr);  // e_phoff: right after this header.
  e.Word(layout.shoff);
  e.Put(4, 0);  // e_flags.
  e.Put(2, sizes.ehdr);
  e.Put(2, sizes.phdr);
  e.Put(2, layout.phnum);
  e.Put(2, sizes.shdr);
  e.Put(2, layout.shnum);
  e.Put(2, layout.shnum - 1);  // .shstrtab is last.

  const PlacedSection& dynamic = layout.sections[layout.dynamic_index];
  std::vector<std::pair<uint32_t, PlacedSegment>> headers;
  for (const PlacedSegment& load : layout.loads) {
    headers.emplace_back(elf::kPtLoad, load);
  }
  headers.emplace_back(elf::kPtDynamic,
                       PlacedSegment{elf::kPfR, dynamic.offset, dynamic.vaddr,
                                     dynamic.size, dynamic.size});
  for (const auto& [type, p] : headers) {
    const uint64_t align =
        type == elf::kPtLoad ? spec.segment_alignment : sizes.word;
    e.Put(4, type);
    if (spec.variant.is64) e.Put(4, p.flags);  // ELF64 moves p_flags up.
    e.Word(p.offset);
    e.Word(p.vaddr);
    e.Word(p.vaddr);  // p_paddr.
    e.Word(p.filesz);
    e.Word(p.memsz);
    if (!spec.variant.is64) e.Put(4, p.flags);
    e.Word(align);
  }
  return std::move(e.bytes());
}

// .hash: one bucket, one chain, both empty (index 0, the null symbol).
std::vector<uint8_t> EncodeHash(const ImageSpec& spec) {
  Encoder e(spec.variant);
  const int word = static_cast<int>(image_layout::HashWordSize(spec));
  for (uint64_t value : {1, 1, 0, 0}) e.Put(word, value);
  return std::move(e.bytes());
}

void PutSectionHeader(Encoder& e, const PlacedSection& s, uint32_t link = 0,
                      uint32_t info = 0) {
  e.Put(4, s.name_offset);
  e.Put(4, s.type);
  e.Word(s.flags);
  e.Word(s.vaddr);
  e.Word(s.offset);
  e.Word(s.size);
  e.Put(4, link);
  e.Put(4, info);
  e.Word(s.alignment);
  e.Word(s.entsize);
}

// .shstrtab and, word-aligned after it, the section header table.
std::vector<uint8_t> EncodeSectionTable(ElfVariant variant,
                                        const ImageLayout& layout) {
  Encoder e(variant);
  e.bytes().assign(layout.shstrtab.begin(), layout.shstrtab.end());
  e.Pad(layout.shoff - layout.shstrtab_offset);
  PutSectionHeader(e, PlacedSection{"", 0, elf::kShtNull, 0, 0});
  // The gABI's links: .dynamic and .dynsym to the dynamic string table,
  // .hash and REL/RELA tables to the dynamic symbol table (whose only symbol,
  // index 0, the relative relocations name). sh_info of .dynsym is one past
  // its last local symbol. RELR entries name no symbol and link to nothing.
  const auto header = [](int index) { return static_cast<uint32_t>(index + 1); };
  for (size_t i = 0; i < layout.sections.size(); ++i) {
    const int index = static_cast<int>(i);
    const PlacedSection& s = layout.sections[i];
    uint32_t link = 0, info = 0;
    if (index == layout.dynamic_index) link = header(layout.dynstr_index);
    if (index == layout.dynsym_index) {
      link = header(layout.dynstr_index);
      info = 1;
    }
    if (index == layout.hash_index ||
        (index == layout.table_index && s.type != elf::kShtRelr)) {
      link = header(layout.dynsym_index);
    }
    PutSectionHeader(e, s, link, info);
  }
  PlacedSection shstrtab{".shstrtab", 0, elf::kShtStrtab, 0, 1};
  shstrtab.name_offset =
      static_cast<uint32_t>(layout.shstrtab.size() - sizeof(".shstrtab"));
  shstrtab.size = layout.shstrtab.size();
  shstrtab.offset = layout.shstrtab_offset;
  PutSectionHeader(e, shstrtab);
  return std::move(e.bytes());
}

// One extent per PT_LOAD's file bytes (padding between its sections as
// zeros), then one for the section table. Gaps between segments stay holes.
ImageBytes Assemble(const ImageSpec& spec, const ImageLayout& layout,
                    const std::vector<const std::vector<uint8_t>*>& contents,
                    const std::vector<ResolvedRelocation>& relocations) {
  ImageBytes image;
  image.file_size = layout.file_size;
  for (const PlacedSegment& load : layout.loads) {
    if (load.filesz == 0) continue;
    std::vector<uint8_t> bytes(load.filesz);
    for (size_t i = 0; i < layout.sections.size(); ++i) {
      const PlacedSection& s = layout.sections[i];
      if (s.type == elf::kShtNobits || contents[i]->empty() ||
          s.offset < load.offset || s.offset - load.offset >= load.filesz) {
        continue;
      }
      std::copy(contents[i]->begin(), contents[i]->end(),
                bytes.begin() + (s.offset - load.offset));
    }
    if (load.flags & elf::kPfW) {
      for (const ResolvedRelocation& r : relocations) {
        const uint64_t at =
            layout.sections[r.section].offset + r.section_offset - load.offset;
        StoreUnsigned(&bytes[at], spec.variant.word_size(),
                      spec.variant.big_endian,
                      image_relocations::PlaceWord(spec, r));
      }
    }
    image.extents.push_back({load.offset, std::move(bytes)});
  }
  image.extents.push_back(
      {layout.shstrtab_offset, EncodeSectionTable(spec.variant, layout)});
  return image;
}

// Checks and resolves the relocations, laying the image out a second time
// when the RELR table's size is only known once the places are. That size
// depends only on the distances between places, which the layout keeps
// fixed, so the second layout is final.
absl::Status ResolveAndRelayOut(const ImageSpec& spec,
                                image_layout::GeneratedSections& shape,
                                ImageLayout& layout,
                                std::vector<ResolvedRelocation>& relocations) {
  GRANULE_ASSIGN_OR_RETURN(relocations,
                           image_relocations::ResolveRelocations(spec, layout));
  if (spec.relocation_format != RelocationFormat::kRelr ||
      relocations.empty()) {
    return absl::OkStatus();
  }
  const int word = spec.variant.word_size();
  shape.table_size = image_relocations::RelrSize(relocations, word);
  GRANULE_ASSIGN_OR_RETURN(ImageLayout relaid,
                           image_layout::LayOutImage(spec, shape));
  layout = std::move(relaid);
  GRANULE_ASSIGN_OR_RETURN(relocations,
                           image_relocations::ResolveRelocations(spec, layout));
  if (image_relocations::RelrSize(relocations, word) != shape.table_size) {
    return absl::InternalError("the RELR table changed size after layout");
  }
  return absl::OkStatus();
}

}  // namespace

const char* RelocationFormatName(RelocationFormat format) {
  switch (format) {
    case RelocationFormat::kRela:
      return "rela";
    case RelocationFormat::kRel:
      return "rel";
    case RelocationFormat::kRelr:
      return "relr";
  }
  return "?";
}

std::vector<uint8_t> ImageBytes::Flatten() const {
  std::vector<uint8_t> flat(file_size);
  for (const Extent& extent : extents) {
    std::copy(extent.bytes.begin(), extent.bytes.end(),
              flat.begin() + extent.offset);
  }
  return flat;
}

absl::StatusOr<ImageBytes> BuildImage(const ImageSpec& spec) {
  GRANULE_RETURN_IF_ERROR(image_layout::ValidateSections(spec));
  GRANULE_RETURN_IF_ERROR(CheckDynamicTags(spec));
  uint32_t relative_type = 0;
  if (!spec.relocations.empty()) {
    GRANULE_ASSIGN_OR_RETURN(uint32_t type,
                             image_relocations::RelativeType(spec));
    relative_type = type;
  }

  image_layout::GeneratedSections shape = image_relocations::TableShape(spec);
  GRANULE_ASSIGN_OR_RETURN(ImageLayout layout,
                           image_layout::LayOutImage(spec, shape));
  std::vector<ResolvedRelocation> relocations;
  GRANULE_RETURN_IF_ERROR(ResolveAndRelayOut(spec, shape, layout, relocations));
  GRANULE_ASSIGN_OR_RETURN(std::vector<DynamicEntry> dynamic,
                           DynamicEntries(spec, layout));

  // Each section's file bytes, indexed like layout->sections.
  const std::vector<uint8_t> table =
      image_relocations::EncodeTable(spec, relative_type, relocations);
  const std::vector<uint8_t> dynamic_bytes =
      EncodeDynamic(spec.variant, dynamic);
  const std::vector<uint8_t> hash = EncodeHash(spec);
  const std::vector<uint8_t> symbols(
      layout.sections[layout.dynsym_index].size, 0);  // The null symbol.
  const std::vector<uint8_t> strings(1, 0);             // The empty name.
  std::vector<const std::vector<uint8_t>*> contents;
  for (const SectionSpec& s : spec.sections) contents.push_back(&s.bytes);
  contents.push_back(&hash);
  contents.push_back(&symbols);
  contents.push_back(&strings);
  if (layout.table_index >= 0) contents.push_back(&table);
  contents.push_back(&dynamic_bytes);

  ImageBytes image = Assemble(spec, layout, contents, relocations);
  const std::vector<uint8_t> headers = EncodeHeaders(spec, layout);
  std::copy(headers.begin(), headers.end(), image.extents[0].bytes.begin());
  return image;
}

absl::Status WriteImage(const ImageSpec& spec, const std::string& path) {
  absl::StatusOr<ImageBytes> image = BuildImage(spec);
  absl::Status status = image.status();
  if (status.ok()) {
    std::vector<FileExtent> extents;
    for (const ImageBytes::Extent& extent : image->extents) {
      extents.push_back({extent.offset, extent.bytes});
    }
    status = WriteFileAtomically(path, image->file_size, extents);
  }
  if (status.ok()) return status;
  return absl::Status(status.code(),
                      absl::StrCat(path, ": ", status.message()));
}

}  // namespace granule
