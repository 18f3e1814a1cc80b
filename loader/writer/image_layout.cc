// SPDX-License-Identifier: Apache-2.0
#include "loader/writer/image_layout.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_format.h"
#include "platform/checked.h"
#include "platform/page_geometry.h"
#include "platform/status_macros.h"

namespace granule::image_layout {
namespace {

// Names of the sections the writer adds itself; a spec section may not take
// one, or two headers would answer to it.
constexpr const char* kGeneratedNames[] = {
    ".hash",     ".dynsym",  ".dynstr",  ".rela.dyn",
    ".rel.dyn",  ".relr.dyn", ".dynamic", ".shstrtab"};

// Section indexes from 0xff00 up are reserved (SHN_LORESERVE).
constexpr uint64_t kMaxSectionHeaders = 0xff00;

using Checked = checked::Accumulator;

absl::Status Overflow(const std::string& what) {
  return absl::InvalidArgumentError(
      absl::StrFormat("%s: the image would not fit in 64-bit offsets", what));
}

uint64_t SectionFlags(SectionAccess access) {
  switch (access) {
    case SectionAccess::kRead:
      return elf::kShfAlloc;
    case SectionAccess::kReadExecute:
      return elf::kShfAlloc | elf::kShfExecinstr;
    case SectionAccess::kReadWrite:
      return elf::kShfAlloc | elf::kShfWrite;
  }
  return elf::kShfAlloc;
}

absl::Status ValidateSection(const ImageSpec& spec, int index,
                             std::map<std::string, int>& seen) {
  const SectionSpec& s = spec.sections[index];
  if (s.name.empty()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("section %d has an empty name", index));
  }
  if (IsWriterSectionName(s.name)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "section %d: the name '%s' is reserved for the section the writer "
        "adds",
        index, s.name));
  }
  auto [it, inserted] = seen.emplace(s.name, index);
  if (!inserted) {
    return absl::InvalidArgumentError(
        absl::StrFormat("section %d: the name '%s' is already used by section "
                        "%d",
                        index, s.name, it->second));
  }
  if (!IsPowerOfTwo(s.alignment)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("section '%s': alignment %u is not a power of two",
                        s.name, s.alignment));
  }
  if (s.alignment > spec.segment_alignment) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "section '%s': alignment %u exceeds the segment alignment %u", s.name,
        s.alignment, spec.segment_alignment));
  }
  if (s.zero_size > 0 && !s.bytes.empty()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "section '%s': zero_size %u with %u bytes; a NOBITS section has no "
        "bytes",
        s.name, s.zero_size, s.bytes.size()));
  }
  if (s.zero_size > 0 && s.access != SectionAccess::kReadWrite) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "section '%s': zero_size %u in an %s section; NOBITS sections must be "
        "RW",
        s.name, s.zero_size, AccessName(s.access)));
  }
  return absl::OkStatus();
}

PlacedSection FromSpec(const SectionSpec& s) {
  PlacedSection placed;
  placed.name = s.name;
  placed.type = s.zero_size > 0 ? elf::kShtNobits : elf::kShtProgbits;
  placed.flags = SectionFlags(s.access);
  placed.alignment = s.alignment;
  placed.size = s.zero_size > 0 ? s.zero_size : s.bytes.size();
  return placed;
}

// Indexes into layout.sections of one access group, in placement order: the
// spec's order, with RW's NOBITS sections after its PROGBITS ones.
std::vector<int> GroupMembers(const ImageSpec& spec, SectionAccess access) {
  std::vector<int> members;
  for (const bool nobits : {false, true}) {
    for (size_t i = 0; i < spec.sections.size(); ++i) {
      const SectionSpec& s = spec.sections[i];
      if (s.access == access && (s.zero_size > 0) == nobits) {
        members.push_back(static_cast<int>(i));
      }
    }
  }
  return members;
}

// Places `members` one after another in `segment`, from `start` bytes into
// it, each at its own alignment, and sets the segment's sizes.
absl::Status PlaceMembers(const std::vector<int>& members, uint64_t start,
                          PlacedSegment& segment,
                          std::vector<PlacedSection>& sections) {
  Checked c;
  uint64_t cursor = start, file_end = start;
  for (int index : members) {
    PlacedSection& s = sections[index];
    cursor = c.AlignUp(cursor, s.alignment);
    s.offset = c.Add(segment.offset, cursor);
    s.vaddr = c.Add(segment.vaddr, cursor);
    cursor = c.Add(cursor, s.size);
    if (s.type != elf::kShtNobits) file_end = cursor;
    c.Add(s.offset, s.size);
    c.Add(s.vaddr, s.size);
    if (c.overflowed())
      return Overflow(absl::StrFormat("section '%s'", s.name));
  }
  segment.filesz = file_end;
  segment.memsz = cursor;
  return absl::OkStatus();
}

// In the 1:1 layout the file covers zero-filled memory up to the next
// segment_alignment boundary, as a hole that costs no disk blocks. The rest
// of it then starts on 64 KiB, where Windows' allocation granularity can
// place zero-filled memory; otherwise such machines need the malloc path.
void CoverToAlignment(const ImageSpec& spec, PlacedSegment& segment) {
  if (segment.memsz <= segment.filesz) return;
  Checked c;
  const uint64_t covered = c.AlignUp(segment.filesz, spec.segment_alignment);
  if (!c.overflowed()) segment.filesz = std::min(segment.memsz, covered);
}

// Where a segment whose sections need `group_alignment` starts after `prev`.
absl::Status StartSegment(const ImageSpec& spec, const PlacedSegment& prev,
                          uint64_t group_alignment, const char* name,
                          PlacedSegment& segment) {
  Checked c;
  const uint64_t align = spec.segment_alignment;
  const uint64_t memory_start = c.AlignUp(c.Add(prev.vaddr, prev.memsz), align);
  if (spec.layout == Layout::kOneToOne) {
    segment.offset = segment.vaddr = memory_start;
  } else {
    // Packed on disk; in memory, the first address past the previous segment's
    // last block that maps this offset (vaddr == offset modulo align).
    segment.offset =
        c.AlignUp(c.Add(prev.offset, prev.filesz), group_alignment);
    segment.vaddr = c.Add(memory_start, segment.offset & (align - 1));
  }
  if (c.overflowed()) {
    return Overflow(absl::StrFormat("the %s segment", name));
  }
  return absl::OkStatus();
}

// Appends every section's name to .shstrtab.
// .hash, .dynsym and .dynstr, in the R segment; sizes per
// GeneratedSymbolBytes.
void AddSymbolSections(const ImageSpec& spec, ImageLayout& layout,
                       std::vector<int>& r_members) {
  const ElfVariant variant = spec.variant;
  const uint64_t symbol = variant.is64 ? kSymbolSize64 : kSymbolSize32;
  const uint64_t hash_word = HashWordSize(spec);
  auto add = [&](int& index, PlacedSection section) {
    index = static_cast<int>(layout.sections.size());
    r_members.push_back(index);
    layout.sections.push_back(std::move(section));
  };
  add(layout.hash_index, {".hash", 0, elf::kShtHash, elf::kShfAlloc,
                          hash_word, hash_word * kHashWords, hash_word});
  add(layout.dynsym_index,
      {".dynsym", 0, elf::kShtDynsym, elf::kShfAlloc,
       static_cast<uint64_t>(variant.word_size()), symbol, symbol});
  add(layout.dynstr_index,
      {".dynstr", 0, elf::kShtStrtab, elf::kShfAlloc, 1, 1});
}

absl::Status NameSections(ImageLayout& layout) {
  layout.shstrtab.assign(1, '\0');
  for (PlacedSection& s : layout.sections) {
    s.name_offset = static_cast<uint32_t>(layout.shstrtab.size());
    layout.shstrtab += s.name;
    layout.shstrtab += '\0';
  }
  layout.shstrtab += ".shstrtab";
  layout.shstrtab += '\0';
  if (layout.shstrtab.size() > UINT32_MAX) {
    return absl::InvalidArgumentError(
        "section names take more than 4 GiB in .shstrtab");
  }
  return absl::OkStatus();
}

// ELF32 fields are 32 bits: the file and every address must stay below 4 GiB.
absl::Status CheckFitsClass(const ImageSpec& spec, const ImageLayout& layout) {
  if (spec.variant.is64) return absl::OkStatus();
  uint64_t end = layout.file_size;
  for (const PlacedSegment& segment : layout.loads) {
    end = std::max(end, segment.vaddr + segment.memsz);
  }
  if (end > (uint64_t{1} << 32)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "the image needs %#x bytes of file or address space; ELF32 holds "
        "0x100000000",
        end));
  }
  return absl::OkStatus();
}

}  // namespace

const char* AccessName(SectionAccess access) {
  switch (access) {
    case SectionAccess::kRead:
      return "R";
    case SectionAccess::kReadExecute:
      return "RX";
    case SectionAccess::kReadWrite:
      return "RW";
  }
  return "?";
}

absl::Status ValidateSections(const ImageSpec& spec) {
  const int word = spec.variant.word_size();
  if (!IsPowerOfTwo(spec.segment_alignment)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "segment alignment %u is not a power of two", spec.segment_alignment));
  }
  if (spec.segment_alignment < static_cast<uint64_t>(word)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "segment alignment %u is smaller than the %s word size %d",
        spec.segment_alignment, spec.variant.ToString(), word));
  }
  // The null section, .hash, .dynsym, .dynstr, the table, .dynamic and
  // .shstrtab join the spec's.
  if (spec.sections.size() + 7 > kMaxSectionHeaders) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%d sections: ELF section indexes end at %#x",
                        spec.sections.size(), kMaxSectionHeaders - 1));
  }
  std::map<std::string, int> seen;
  for (size_t i = 0; i < spec.sections.size(); ++i) {
    GRANULE_RETURN_IF_ERROR(ValidateSection(spec, static_cast<int>(i), seen));
  }
  return absl::OkStatus();
}

uint64_t HashWordSize(const ImageSpec& spec) {
  return spec.variant.is64 && spec.machine == elf::kMachineS390 ? 8 : 4;
}

absl::StatusOr<ImageLayout> LayOutImage(const ImageSpec& spec,
                                        const GeneratedSections& generated) {
  const elf::ClassSizes& sizes = spec.variant.sizes();
  const uint64_t word = sizes.word;
  ImageLayout layout;
  for (const SectionSpec& s : spec.sections) {
    layout.sections.push_back(FromSpec(s));
  }
  std::vector<int> r_members = GroupMembers(spec, SectionAccess::kRead);
  AddSymbolSections(spec, layout, r_members);
  if (!generated.table_name.empty()) {
    layout.table_index = static_cast<int>(layout.sections.size());
    r_members.push_back(layout.table_index);
    layout.sections.push_back({generated.table_name, 0, generated.table_type,
                               elf::kShfAlloc, word, generated.table_size,
                               generated.table_entsize});
  }
  layout.dynamic_index = static_cast<int>(layout.sections.size());
  r_members.push_back(layout.dynamic_index);
  layout.sections.push_back({".dynamic", 0, elf::kShtDynamic, elf::kShfAlloc,
                             word, generated.dynamic_count * sizes.dyn,
                             static_cast<uint64_t>(sizes.dyn)});

  const std::vector<int> rx_members =
      GroupMembers(spec, SectionAccess::kReadExecute);
  const std::vector<int> rw_members =
      GroupMembers(spec, SectionAccess::kReadWrite);
  layout.phnum = 2 + !rx_members.empty() + !rw_members.empty();

  // R starts at offset and address 0 with the ELF and program headers.
  layout.loads.push_back({elf::kPfR, 0, 0, 0, 0});
  const uint64_t headers = sizes.ehdr + layout.phnum * sizes.phdr;
  GRANULE_RETURN_IF_ERROR(
      PlaceMembers(r_members, headers, layout.loads.back(), layout.sections));

  struct Group {
    const std::vector<int>& members;
    uint32_t flags;
    const char* name;
  };
  for (const Group& group : {Group{rx_members, elf::kPfR | elf::kPfX, "RX"},
                             Group{rw_members, elf::kPfR | elf::kPfW, "RW"}}) {
    if (group.members.empty()) continue;
    uint64_t group_alignment = word;
    for (int index : group.members) {
      group_alignment =
          std::max(group_alignment, layout.sections[index].alignment);
    }
    PlacedSegment segment = {group.flags, 0, 0, 0, 0};
    GRANULE_RETURN_IF_ERROR(StartSegment(spec, layout.loads.back(),
                                         group_alignment, group.name, segment));
    GRANULE_RETURN_IF_ERROR(
        PlaceMembers(group.members, 0, segment, layout.sections));
    if (spec.layout == Layout::kOneToOne) CoverToAlignment(spec, segment);
    layout.loads.push_back(segment);
  }

  GRANULE_RETURN_IF_ERROR(NameSections(layout));
  // After the last segment's file bytes: .shstrtab, then the headers.
  Checked c;
  const PlacedSegment& last = layout.loads.back();
  layout.shstrtab_offset = c.Add(last.offset, last.filesz);
  layout.shoff =
      c.AlignUp(c.Add(layout.shstrtab_offset, layout.shstrtab.size()), word);
  layout.shnum = layout.sections.size() + 2;
  layout.file_size = c.Add(layout.shoff, layout.shnum * sizes.shdr);
  if (c.overflowed()) return Overflow("the section header table");
  GRANULE_RETURN_IF_ERROR(CheckFitsClass(spec, layout));
  return layout;
}

}  // namespace granule::image_layout

namespace granule {

bool IsWriterSectionName(const std::string& name) {
  for (const char* generated : image_layout::kGeneratedNames) {
    if (name == generated) return true;
  }
  return false;
}

}  // namespace granule
