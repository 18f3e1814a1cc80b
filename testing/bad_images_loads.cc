// SPDX-License-Identifier: Apache-2.0
// Catalogue cases whose headers read fine but which LoadImage refuses: bad
// relocation tables and places (on both paths), images too large or too
// aligned to place, and alignments only the malloc path can load.
#include <functional>

#include "absl/strings/str_format.h"
#include "loader/elf/relocation_types.h"
#include "testing/bad_images_cases.h"

namespace granule::testing::bad_images {
namespace {

constexpr uint64_t kTable = kRelocationTable;  // 0x900, in the R segment.

// The dynamic entries RelocatedImage writes for `format`.
std::vector<DynamicEntry> TableEntries(ElfVariant v, RawRelocations format) {
  const elf::ClassSizes& sizes = v.sizes();
  const uint64_t w = v.word_size();
  std::vector<DynamicEntry> entries;
  switch (format) {
    case RawRelocations::kRela:
      entries = {{elf::kDtRela, kTable},
                 {elf::kDtRelasz, 2 * uint64_t(sizes.rela)},
                 {elf::kDtRelaent, uint64_t(sizes.rela)}};
      break;
    case RawRelocations::kRel:
      entries = {{elf::kDtRel, kTable},
                 {elf::kDtRelsz, 2 * uint64_t(sizes.rel)},
                 {elf::kDtRelent, uint64_t(sizes.rel)}};
      break;
    case RawRelocations::kRelr:
      entries = {{elf::kDtRelr, kTable},
                 {elf::kDtRelrsz, 2 * w},
                 {elf::kDtRelrent, w}};
      break;
  }
  entries.push_back({elf::kDtGuileEntry, 0x100});
  return entries;
}

// Rewrites the dynamic table at 0x800, keeping PT_DYNAMIC and .dynamic
// sized to it.
void SetDynamic(RawElf& e, const std::vector<DynamicEntry>& entries) {
  const uint64_t size = e.PutDynamic(0x800, entries);
  e.segments[2].filesz = e.segments[2].memsz = size;
  e.sections[1].size = size;
}

// A relocated image (two relative relocations at 0x10000 and the next
// word) changed by `mutate`, which gets the dynamic entries to edit.
std::vector<uint8_t> Relocated(
    RawRelocations format,
    const std::function<void(RawElf&, std::vector<DynamicEntry>&)>& mutate,
    ElfVariant v = kLe64, uint16_t machine = elf::kMachineNone,
    uint32_t type = kGranuleRelative) {
  RawElf e = RelocatedImage(v, format, machine, type);
  std::vector<DynamicEntry> entries = TableEntries(v, format);
  mutate(e, entries);
  SetDynamic(e, entries);
  return e.Encode();
}

void SetValue(std::vector<DynamicEntry>& entries, int64_t tag, uint64_t v) {
  for (DynamicEntry& e : entries) {
    if (e.tag == tag) e.value = v;
  }
}
void Remove(std::vector<DynamicEntry>& entries, int64_t tag) {
  for (size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].tag == tag) entries.erase(entries.begin() + i);
  }
}

// RELA with both entries' places replaced.
std::vector<uint8_t> RelaPlaces(uint64_t first, uint64_t second,
                                uint32_t type = kGranuleRelative,
                                uint16_t machine = elf::kMachineNone) {
  return Relocated(
      RawRelocations::kRela,
      [&](RawElf& e, std::vector<DynamicEntry>&) {
        e.PutRela(kTable, {first, second}, type, {0x100, 0x200});
      },
      kLe64, machine, type);
}

std::vector<uint8_t> RelrWords(const std::vector<uint64_t>& words,
                               ElfVariant v = kLe64) {
  return Relocated(
      RawRelocations::kRelr,
      [&](RawElf& e, std::vector<DynamicEntry>& entries) {
        for (size_t i = 0; i < words.size(); ++i) {
          e.PutWord(kTable + i * v.word_size(), words[i]);
        }
        SetValue(entries, elf::kDtRelrsz, words.size() * v.word_size());
      },
      v);
}

void AddTableCases(Catalogue& c) {
  const auto load = [&](const char* name, const char* description,
                        std::vector<uint8_t> bytes, std::string expected) {
    c.Add(name, description, BadImageStage::kLoad, std::move(bytes), expected);
  };
  const auto rela =
      [](const std::function<void(std::vector<DynamicEntry>&)>& edit) {
        return Relocated(
            RawRelocations::kRela,
            [&](RawElf&, std::vector<DynamicEntry>& d) { edit(d); });
      };
  load("rela_size_not_entry_multiple", "DT_RELASZ 0x31",
       rela([](auto& d) { SetValue(d, elf::kDtRelasz, 0x31); }),
       "DT_RELASZ 0x31 is not a multiple of the entry size 24");
  load("rela_entry_size_wrong", "DT_RELAENT 16 in ELF64",
       rela([](auto& d) { SetValue(d, elf::kDtRelaent, 16); }),
       "DT_RELAENT 16 is not 24 for ELF64 little-endian");
  load("rela_without_size", "DT_RELA without DT_RELASZ",
       rela([](auto& d) { Remove(d, elf::kDtRelasz); }),
       "DT_RELA and DT_RELASZ must come together");
  load("rela_size_without_address", "DT_RELASZ without DT_RELA",
       rela([](auto& d) { Remove(d, elf::kDtRela); }),
       "DT_RELA and DT_RELASZ must come together");
  load("rela_table_outside_segments", "DT_RELA 0x5000, in no segment",
       rela([](auto& d) { SetValue(d, elf::kDtRela, 0x5000); }),
       "DT_RELA table at 0x5000 (48 bytes) is not inside any PT_LOAD segment");
  load("rela_table_runs_past_segment", "DT_RELASZ runs past the R segment",
       rela([](auto& d) { SetValue(d, elf::kDtRelasz, 0x1800); }),
       "DT_RELA table at 0x900 (6144 bytes) is not inside any PT_LOAD "
       "segment");
  load("rela_size_wraps", "DT_RELA + DT_RELASZ wraps around 2^64",
       rela([](auto& d) { SetValue(d, elf::kDtRelasz, 0xfffffffffffffff0); }),
       "DT_RELA table at 0x900 (18446744073709551600 bytes) is not inside "
       "any PT_LOAD segment");
  load("rel_entry_size_wrong", "DT_RELENT 24 in ELF64",
       Relocated(RawRelocations::kRel,
                 [](RawElf&, auto& d) { SetValue(d, elf::kDtRelent, 24); }),
       "DT_RELENT 24 is not 16 for ELF64 little-endian");
  load("rel_size_not_entry_multiple", "DT_RELSZ 0x18",
       Relocated(RawRelocations::kRel,
                 [](RawElf&, auto& d) { SetValue(d, elf::kDtRelsz, 0x18); }),
       "DT_RELSZ 0x18 is not a multiple of the entry size 16");
  const auto relr =
      [](const std::function<void(std::vector<DynamicEntry>&)>& edit) {
        return Relocated(
            RawRelocations::kRelr,
            [&](RawElf&, std::vector<DynamicEntry>& d) { edit(d); });
      };
  load("relr_table_runs_past_segment", "DT_RELRSZ runs past the R segment",
       relr([](auto& d) { SetValue(d, elf::kDtRelrsz, 0x800); }),
       "DT_RELR table at 0x900 (2048 bytes) is not inside any PT_LOAD "
       "segment");
  load("relr_size_not_entry_multiple", "DT_RELRSZ 0xc",
       relr([](auto& d) { SetValue(d, elf::kDtRelrsz, 0xc); }),
       "DT_RELRSZ 0xc is not a multiple of the entry size 8");
  load("relr_entry_size_wrong", "DT_RELRENT 4 in ELF64",
       relr([](auto& d) { SetValue(d, elf::kDtRelrent, 4); }),
       "DT_RELRENT 4 is not 8 for ELF64 little-endian");
}

void AddEntryCases(Catalogue& c) {
  const auto load = [&](const char* name, const char* description,
                        std::vector<uint8_t> bytes, std::string expected) {
    c.Add(name, description, BadImageStage::kLoad, std::move(bytes), expected);
  };
  load("rela_place_in_read_only_segment", "r_offset 0x100, in the R segment",
       RelaPlaces(0x100, 0x10008),
       "DT_RELA entry 0 at 0x100 (8 bytes) is in program header 0, which is "
       "R, not writable");
  load("rela_place_outside_segments", "r_offset 0x50000, in no segment",
       RelaPlaces(0x50000, 0x10008),
       "DT_RELA entry 0 at 0x50000 (8 bytes) is not inside any PT_LOAD "
       "segment");
  load("rela_place_straddles_segment_end",
       "the word at 0x10ffc crosses the "
       "RW segment's end",
       RelaPlaces(0x10000, 0x10ffc),
       "DT_RELA entry 1 at 0x10ffc (8 bytes) is not inside any PT_LOAD "
       "segment");
  load("rela_unknown_type", "type 7 for EM_NONE (relative is 1)",
       RelaPlaces(0x10000, 0x10008, 7),
       "DT_RELA entry 0: type 7, symbol 0 at r_offset 0x10000 is not a "
       "relative relocation for none");
  load("rela_with_symbol", "a relative type with symbol 5",
       Relocated(RawRelocations::kRela,
                 [](RawElf& e, auto&) {
                   e.PutWord(kTable + 8, (uint64_t{5} << 32) | 1);
                 }),
       "DT_RELA entry 0: type 1, symbol 5 at r_offset 0x10000 is not a "
       "relative relocation");
  load("rela_mips_has_no_relative_type",
       "MIPS: no relative type granule "
       "applies",
       RelaPlaces(0x10000, 0x10008, 3, elf::kMachineMips),
       "DT_RELA entry 0: type 3, symbol 0 at r_offset 0x10000 is not a "
       "relative relocation for MIPS");
  load("rela_type_of_another_machine", "AArch64's relative type in x86-64",
       RelaPlaces(0x10000, 0x10008, 1027, elf::kMachineX86_64),
       "DT_RELA entry 0: type 1027, symbol 0 at r_offset 0x10000 is not a "
       "relative relocation for x86-64");
  load("rel_place_in_read_only_segment_elf32_be",
       "REL r_offset 0x100 in "
       "big-endian ELF32",
       Relocated(
           RawRelocations::kRel,
           [](RawElf& e, auto&) {
             e.PutRel(kTable, {0x100, 0x10004}, kGranuleRelative);
           },
           kBe32),
       "DT_REL entry 0 at 0x100 (4 bytes) is in program header 0, which is "
       "R, not writable");
  load("rel_symbol_in_elf32_info", "ELF32 r_info 0x101: type 1, symbol 1",
       Relocated(
           RawRelocations::kRel,
           [](RawElf& e, auto&) { e.PutWord(kTable + 4, 0x101); }, kLe32),
       "DT_REL entry 0: type 1, symbol 1 at r_offset 0x10000 is not a "
       "relative relocation");
  c.Add("elf32_relocated_value_wraps",
        "ELF32 base + addend 0xfffffff0 past 2^32 (any base is >= 64 KiB)",
        BadImageStage::kLoadAtBase,
        Relocated(
            RawRelocations::kRel,
            [](RawElf& e, auto&) { e.PutWord(0x10000, 0xfffffff0); }, kLe32),
        "DT_REL entry 0 at r_offset 0x10000: relocated value 0x");
  load("relr_table_runs_into_bss",
       "the RELR table's third word is past "
       "p_filesz: a zero, so an address 0 in the R segment",
       Relocated(RawRelocations::kRelr,
                 [](RawElf& e, auto& d) {
                   e.segments[1].filesz = 0x800;
                   e.PutWord(0x107f0, 0x10000);
                   e.PutWord(0x107f8, 0x3);
                   SetValue(d, elf::kDtRelr, 0x107f0);
                   SetValue(d, elf::kDtRelrsz, 0x20);
                 }),
       "DT_RELR entry 2 at 0x0 (8 bytes) is in program header 0, which is R, "
       "not writable");
  load("relr_first_entry_bitmap", "RELR starting with a bitmap",
       RelrWords({0x3, 0x3}),
       "DT_RELR entry 0: a bitmap 0x3 before any address");
  load("relr_bitmap_past_segment",
       "the bitmap's first bit is past the RW "
       "segment",
       RelrWords({0x10ff8, 0x3}),
       "DT_RELR entry 1 at 0x11000 (8 bytes) is not inside any PT_LOAD "
       "segment");
  load("relr_bitmap_high_bit_past_segment",
       "bit 63 of the bitmap: 62 words "
       "after the address",
       RelrWords({0x10f00, 1 | (uint64_t{1} << 63)}),
       "DT_RELR entry 1 at 0x110f8 (8 bytes) is not inside any PT_LOAD "
       "segment");
  load("relr_address_in_read_only_segment", "an address in the R segment",
       RelrWords({0x100}),
       "DT_RELR entry 0 at 0x100 (8 bytes) is in program header 0, which is "
       "R, not writable");
  load("relr_address_past_segment_elf32", "an ELF32 address just past RW",
       RelrWords({0x11000}, kLe32),
       "DT_RELR entry 0 at 0x11000 (4 bytes) is not inside any PT_LOAD "
       "segment");
}

std::vector<uint8_t> With(const std::function<void(RawElf&)>& mutate) {
  RawElf elf = Base();
  mutate(elf);
  return elf.Encode();
}

void AddSizeCases(Catalogue& c) {
  c.Add("image_span_above_max_image_size",
        "1 GiB of .bss after the RW "
        "segment's 64 KiB",
        BadImageStage::kLoad,
        With([](RawElf& e) { e.segments[1].memsz = 0x40000000; }),
        "the PT_LOAD segments span 0x40010000 bytes, more than the limit of "
        "1 GiB (LoadOptions::max_image_size)");
  c.Add("image_end_near_top_of_address_space",
        "RW segment in the top 64 KiB "
        "of the address space",
        BadImageStage::kLoad,
        With([](RawElf& e) { e.segments[1].vaddr = 0xffffffffffff0000; }),
        "the PT_LOAD segments end at 0xffffffffffff1000, too close to the "
        "top of the address space to place");
  c.Add("p_align_2_pow_63",
        "p_align 2^63: the region would be over-reserved "
        "by that much",
        BadImageStage::kLoad,
        With([](RawElf& e) { e.segments[1].align = uint64_t{1} << 63; }),
        "p_align 0x8000000000000000 of program header 1 is more than the "
        "limit of 1 GiB (LoadOptions::max_image_size)");
  c.Add("p_align_2_gib", "p_align 2 GiB, above the 1 GiB image limit",
        BadImageStage::kLoad,
        With([](RawElf& e) { e.segments[0].align = 0x80000000; }),
        "p_align 0x80000000 of program header 0 is more than the limit of "
        "1 GiB (LoadOptions::max_image_size)");
}

void AddSharedPathCases(Catalogue& c) {
  const auto shared = [&](const char* name, const char* description,
                          std::vector<uint8_t> bytes, std::string expected) {
    c.Add(name, description, BadImageStage::kSharedPath, std::move(bytes),
          expected);
  };
  for (const uint64_t align : {0, 1, 0x100}) {
    shared(absl::StrFormat("p_align_%d_bytes", align).c_str(),
           "p_align below the page size: no page of its own",
           With([&](RawElf& e) {
             e.segments[0].align = e.segments[1].align = align;
           }),
           absl::StrFormat("page size 4 KiB does not divide p_align %d bytes "
                           "of program header 0",
                           align));
  }
  shared("p_align_2_kib_second_segment",
         "only the RW segment is 2 KiB "
         "aligned",
         With([](RawElf& e) { e.segments[1].align = 0x800; }),
         "page size 4 KiB does not divide p_align 2 KiB of program header 1");
  shared("segments_share_a_page",
         "R [0, 0x800) and RW [0x800, 0x1000), "
         "4 KiB aligned: one page, two protections",
         With([](RawElf& e) {
           e.segments[0] = {0, elf::kPtLoad, elf::kPfR, 0,
                            0, 0x800,        0x800,     0x1000};
           e.segments[1] = {0,     elf::kPtLoad, elf::kPfR | elf::kPfW,
                            0x800, 0x800,        0x800,
                            0x800, 0x1000};
         }),
         "program headers 0 and 1 share the 4 KiB page at 0x0");
}

}  // namespace

void AddRelocationCases(Catalogue& c) {
  AddTableCases(c);
  AddEntryCases(c);
}

void AddPlacementCases(Catalogue& c) {
  AddSizeCases(c);
  AddSharedPathCases(c);
}

}  // namespace granule::testing::bad_images
