// SPDX-License-Identifier: Apache-2.0
// The decoded image's queries and names; decoding is in elf_reader.cc.
#include <algorithm>

#include "absl/strings/str_format.h"
#include "loader/elf/elf_image.h"

namespace granule {
namespace {

struct TagInfo {
  int64_t tag;
  const char* name;
  bool is_address;
};

// Tags below DT_ENCODING are listed by the gABI one by one; so are the GNU
// ones above DT_LOOS. Between the two the gABI rule holds: even tags are
// addresses, odd ones numbers. Guile's tags follow that rule.
constexpr TagInfo kTags[] = {
    {0, "NULL", false},           {1, "NEEDED", false},
    {2, "PLTRELSZ", false},       {3, "PLTGOT", true},
    {4, "HASH", true},            {5, "STRTAB", true},
    {6, "SYMTAB", true},          {7, "RELA", true},
    {8, "RELASZ", false},         {9, "RELAENT", false},
    {10, "STRSZ", false},         {11, "SYMENT", false},
    {12, "INIT", true},           {13, "FINI", true},
    {14, "SONAME", false},        {15, "RPATH", false},
    {16, "SYMBOLIC", false},      {17, "REL", true},
    {18, "RELSZ", false},         {19, "RELENT", false},
    {20, "PLTREL", false},        {21, "DEBUG", true},
    {22, "TEXTREL", false},       {23, "JMPREL", true},
    {24, "BIND_NOW", false},      {25, "INIT_ARRAY", true},
    {26, "FINI_ARRAY", true},     {27, "INIT_ARRAYSZ", false},
    {28, "FINI_ARRAYSZ", false},  {29, "RUNPATH", false},
    {30, "FLAGS", false},         {32, "PREINIT_ARRAY", true},
    {33, "PREINIT_ARRAYSZ", false}, {34, "SYMTAB_SHNDX", true},
    {35, "RELRSZ", false},        {36, "RELR", true},
    {37, "RELRENT", false},
    {elf::kDtGuileGcRoot, "GUILE_GC_ROOT", true},
    {elf::kDtGuileGcRootSize, "GUILE_GC_ROOT_SZ", false},
    {elf::kDtGuileEntry, "GUILE_ENTRY", true},
    {elf::kDtGuileVmVersion, "GUILE_VM_VERSION", false},
    {elf::kDtGuileFrameMaps, "GUILE_FRAME_MAPS", true},
    {0x6ffffef5, "GNU_HASH", true},  {0x6ffffefe, "MOVETAB", true},
    {0x6ffffeff, "SYMINFO", true},   {0x6ffffff0, "VERSYM", true},
    {0x6ffffff9, "RELACOUNT", false}, {0x6ffffffa, "RELCOUNT", false},
    {0x6ffffffb, "FLAGS_1", false},  {0x6ffffffc, "VERDEF", true},
    {0x6ffffffd, "VERDEFNUM", false}, {0x6ffffffe, "VERNEED", true},
    {0x6fffffff, "VERNEEDNUM", false},
};

const TagInfo* FindTag(int64_t tag) {
  for (const TagInfo& info : kTags) {
    if (info.tag == tag) return &info;
  }
  return nullptr;
}

}  // namespace

std::string Segment::FlagString() const {
  std::string s = (flags & elf::kPfR) ? "R" : "";
  if (flags & elf::kPfW) s += "W";
  if (flags & elf::kPfX) s += "X";
  return s.empty() ? "none" : s;
}

const char* LayoutName(Layout layout) {
  return layout == Layout::kOneToOne ? "1:1" : "compact";
}

bool IsAddressTag(int64_t tag) {
  if (const TagInfo* info = FindTag(tag)) return info->is_address;
  return tag >= elf::kDtEncoding && tag < elf::kDtLoos && tag % 2 == 0;
}

std::string DynamicTagName(int64_t tag) {
  if (const TagInfo* info = FindTag(tag)) return info->name;
  return absl::StrFormat("0x%x", tag);
}

LoadSegmentList ElfImage::LoadSegments() const {
  LoadSegmentList loads;
  for (const Segment& s : segments) {
    if (s.is_load()) loads.push_back(&s);
  }
  return loads;
}

const Segment* ElfImage::FindSegment(uint32_t type) const {
  for (const Segment& s : segments) {
    if (s.type == type) return &s;
  }
  return nullptr;
}

const Section* ElfImage::FindSection(const std::string& name) const {
  for (const Section& s : sections) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

std::optional<uint64_t> ElfImage::DynamicValue(int64_t tag) const {
  for (const DynamicEntry& e : dynamic) {
    if (e.tag == tag) return e.value;
  }
  return std::nullopt;
}

uint64_t ElfImage::max_load_align() const {
  uint64_t align = 1;
  for (const Segment& s : segments) {
    if (s.is_load()) align = std::max(align, s.align);
  }
  return align;
}

uint64_t ElfImage::load_start() const {
  // The reader checked the loads are sorted and that alignments are powers
  // of two, so this cannot wrap.
  for (const Segment& s : segments) {
    if (s.is_load()) return s.vaddr & ~(max_load_align() - 1);
  }
  return 0;
}

uint64_t ElfImage::load_end() const {
  // The reader checked the loads are sorted: the last one ends the span.
  for (auto s = segments.rbegin(); s != segments.rend(); ++s) {
    if (s->is_load()) return s->vaddr_end();
  }
  return 0;
}

bool ElfImage::MeetsAlignmentContract() const {
  for (const Segment* s : LoadSegments()) {
    if (s->align < elf::kImageAlignment) return false;
    if (layout == Layout::kOneToOne && s->vaddr % elf::kImageAlignment != 0) {
      return false;
    }
  }
  return true;
}

}  // namespace granule
