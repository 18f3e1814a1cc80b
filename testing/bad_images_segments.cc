// SPDX-License-Identifier: Apache-2.0
// Catalogue cases in the program headers: PT_LOAD sizes, order, alignment
// and flags, PT_DYNAMIC and its table, PT_GNU_RELRO. ReadElfImage refuses
// them all.
#include <functional>

#include "absl/strings/str_format.h"
#include "testing/bad_images_cases.h"

namespace granule::testing::bad_images {
namespace {

constexpr uint32_t kR = elf::kPfR, kW = elf::kPfW, kX = elf::kPfX;

// Base(variant) with its program headers changed by `mutate`. Segments: 0
// LOAD R [0, 0x1000), 1 LOAD RW [0x10000, 0x11000), 2 DYNAMIC at 0x800.
std::vector<uint8_t> With(const std::function<void(RawElf&)>& mutate,
                          ElfVariant variant = kLe64) {
  RawElf elf = Base(variant);
  mutate(elf);
  return elf.Encode();
}

uint64_t FileSize(const std::function<void(RawElf&)>& mutate) {
  return With(mutate).size();
}

void AddLoadOrderCases(Catalogue& c) {
  c.Read("no_pt_load", "both PT_LOADs turned into PT_NULL", With([](RawElf& e) {
           e.segments[0].type = e.segments[1].type = elf::kPtNull;
         }),
         "no PT_LOAD program header: nothing to load");
  c.Read("overlapping_loads", "the R segment's memory runs into the RW one",
         With([](RawElf& e) { e.segments[0].memsz = 0x10800; }),
         "program header 1: p_vaddr 0x10000 is below the end 0x10800 of the "
         "PT_LOAD before it (loads must be sorted and must not overlap)");
  c.Read("loads_out_of_vaddr_order", "the RW PT_LOAD comes first",
         With([](RawElf& e) { std::swap(e.segments[0], e.segments[1]); }),
         "program header 1: p_vaddr 0x0 is below the end 0x11000 of the "
         "PT_LOAD before it");
  c.Read("duplicate_load", "the RW PT_LOAD twice", With([](RawElf& e) {
           e.segments.insert(e.segments.begin() + 2, e.segments[1]);
         }),
         "program header 2: p_vaddr 0x10000 is below the end 0x11000 of the "
         "PT_LOAD before it");
}

void AddLoadFieldCases(Catalogue& c) {
  c.Read("offset_not_congruent_to_vaddr",
         "p_offset 0x10800 for p_vaddr "
         "0x10000 with 64 KiB p_align",
         With([](RawElf& e) {
           e.segments[1].offset = 0x10800;
           e.segments[1].filesz = 0x800;
         }),
         "program header 1: p_vaddr 0x10000 is not congruent to p_offset "
         "0x10800 modulo p_align 0x10000");
  c.Read("offset_not_congruent_elf32_be", "the same in big-endian ELF32",
         With([](RawElf& e) { e.segments[1].offset = 0x1000; }, kBe32),
         "program header 1: p_vaddr 0x10000 is not congruent to p_offset "
         "0x1000 modulo p_align 0x10000");
  c.Read("p_align_not_power_of_two", "p_align 0x3000",
         With([](RawElf& e) { e.segments[1].align = 0x3000; }),
         "program header 1: p_align 0x3000 is not a power of two");
  c.Read("p_align_all_ones", "p_align 2^64 - 1",
         With([](RawElf& e) { e.segments[0].align = ~uint64_t{0}; }),
         "program header 0: p_align 0xffffffffffffffff is not a power of two");
  c.Read("p_filesz_above_p_memsz", "more file bytes than memory",
         With([](RawElf& e) { e.segments[1].filesz = 0x2000; }),
         "program header 1: p_filesz 0x2000 exceeds p_memsz 0x1000");
  const auto past_end = [](RawElf& e) {
    e.segments[1].filesz = e.segments[1].memsz = 0x100000;
  };
  c.Read("segment_past_file_end",
         "the RW segment's file bytes run past the "
         "end of the file",
         With(past_end),
         absl::StrFormat("program header 1: p_offset 0x10000 + p_filesz "
                         "0x100000 extends past the end of the file (size "
                         "0x%x)",
                         FileSize(past_end)));
  c.Read("segment_offset_wraps_64", "p_offset + p_filesz wraps around 2^64",
         With([](RawElf& e) {
           e.segments[1].offset = 0xffffffffffff0000;
           e.segments[1].filesz = e.segments[1].memsz = 0x20000;
         }),
         "program header 1: p_offset 0xffffffffffff0000 + p_filesz 0x20000 "
         "extends past the end of the file");
  c.Read("segment_offset_wraps_32",
         "ELF32 p_offset + p_filesz wraps around 2^32",
         With(
             [](RawElf& e) {
               e.segments[1].offset = 0xffff0000;
               e.segments[1].filesz = e.segments[1].memsz = 0x20000;
             },
             kLe32),
         "program header 1: p_offset 0xffff0000 + p_filesz 0x20000 extends "
         "past the end of the file");
  c.Read("vaddr_memsz_wraps_64", "p_vaddr + p_memsz wraps around 2^64",
         With([](RawElf& e) {
           e.segments[1].vaddr = 0xffffffffffff0000;
           e.segments[1].memsz = 0x20000;
         }),
         "program header 1: p_vaddr 0xffffffffffff0000 + p_memsz 0x20000 "
         "overflows the 64-bit address space");
  for (const ElfVariant variant : {kLe32, kBe32}) {
    c.Read(
        variant.big_endian ? "vaddr_memsz_wraps_32_be" : "vaddr_memsz_wraps_32",
        "ELF32 p_vaddr + p_memsz past 2^32: fits 64 bits, wraps 32",
        With(
            [](RawElf& e) {
              e.segments[1].vaddr = 0xffff0000;
              e.segments[1].memsz = 0x10001;
            },
            variant),
        "program header 1: p_vaddr 0xffff0000 + p_memsz 0x10001 "
        "overflows the 32-bit address space");
  }
}

void AddFlagCases(Catalogue& c) {
  const struct {
    const char* name;
    int segment;
    uint32_t flags;
    const char* expected;
  } cases[] = {
      {"flags_rwx", 1, kR | kW | kX,
       "program header 1: p_flags RWX: writable and executable together is "
       "refused"},
      {"flags_write_only", 1, kW,
       "program header 1: p_flags W is not R, RW or RX"},
      {"flags_execute_only", 0, kX,
       "program header 0: p_flags X is not R, RW or RX"},
      {"flags_write_execute", 1, kW | kX,
       "program header 1: p_flags WX is not R, RW or RX"},
      {"flags_none", 0, 0, "program header 0: p_flags none is not R, RW or RX"},
  };
  for (const auto& f : cases) {
    c.Read(f.name, "PT_LOAD flags outside R, RW, RX",
           With([&](RawElf& e) { e.segments[f.segment].flags = f.flags; }),
           f.expected);
  }
}

void AddDynamicCases(Catalogue& c) {
  c.Read("dynamic_outside_any_load", "PT_DYNAMIC at 0x5000, in no segment",
         With([](RawElf& e) {
           e.segments[2].vaddr = e.segments[2].offset = 0x5000;
         }),
         "program header 2: PT_DYNAMIC at p_vaddr 0x5000 (p_offset 0x5000, "
         "size 0x20) is not inside the file bytes of a PT_LOAD");
  c.Read("dynamic_offset_mismatch",
         "PT_DYNAMIC's p_offset is not its "
         "segment's offset for its p_vaddr",
         With([](RawElf& e) { e.segments[2].offset = 0x900; }),
         "program header 2: PT_DYNAMIC at p_vaddr 0x800 (p_offset 0x900, "
         "size 0x20) is not inside the file bytes of a PT_LOAD");
  c.Read("dynamic_in_bss", "PT_DYNAMIC in zero-filled memory, past p_filesz",
         With([](RawElf& e) {
           e.segments[1].filesz = 0x800;
           e.segments[2].vaddr = e.segments[2].offset = 0x10c00;
         }),
         "program header 2: PT_DYNAMIC at p_vaddr 0x10c00 (p_offset 0x10c00, "
         "size 0x20) is not inside the file bytes of a PT_LOAD");
  c.Read("second_pt_dynamic", "two PT_DYNAMIC headers",
         With([](RawElf& e) { e.segments.push_back(e.segments[2]); }),
         "program header 3: a second PT_DYNAMIC");
  c.Read("dynamic_size_not_entry_multiple", "PT_DYNAMIC p_filesz 0x28",
         With([](RawElf& e) { e.segments[2].filesz = 0x28; }),
         "PT_DYNAMIC p_filesz 0x28 is not a multiple of the entry size 16");
  c.Read("dynamic_without_dt_null", "p_filesz stops before DT_NULL",
         With([](RawElf& e) { e.segments[2].filesz = 0x10; }),
         "dynamic table (PT_DYNAMIC) at p_offset 0x800 has no DT_NULL among "
         "its 1 entries");
  c.Read("dynamic_without_dt_null_elf32_be", "the same in big-endian ELF32",
         With([](RawElf& e) { e.segments[2].filesz = 0x8; }, kBe32),
         "dynamic table (PT_DYNAMIC) at p_offset 0x800 has no DT_NULL among "
         "its 1 entries");
  c.Read("dynamic_empty", "PT_DYNAMIC with p_filesz 0",
         With([](RawElf& e) { e.segments[2].filesz = 0; }),
         "dynamic table (PT_DYNAMIC) at p_offset 0x800 has no DT_NULL among "
         "its 0 entries");
}

void AddRelroCases(Catalogue& c) {
  const struct {
    const char* name;
    const char* description;
    uint64_t vaddr, size;
  } cases[] = {
      {"relro_in_read_only_segment", "PT_GNU_RELRO over the R segment", 0,
       0x1000},
      {"relro_past_writable_end", "PT_GNU_RELRO runs past the RW segment",
       0x10000, 0x2000},
      {"relro_outside_any_load", "PT_GNU_RELRO in no segment", 0x30000, 0x1000},
  };
  for (const auto& r : cases) {
    c.Read(r.name, r.description, With([&](RawElf& e) {
             e.segments.push_back({0, elf::kPtGnuRelro, kR, r.vaddr, r.vaddr,
                                   r.size, r.size, 1});
           }),
           absl::StrFormat("program header 3: PT_GNU_RELRO at p_vaddr 0x%x "
                           "(size 0x%x) is not inside a writable PT_LOAD",
                           r.vaddr, r.size));
  }
}

}  // namespace

void AddSegmentCases(Catalogue& c) {
  AddLoadOrderCases(c);
  AddLoadFieldCases(c);
  AddFlagCases(c);
  AddDynamicCases(c);
  AddRelroCases(c);
}

}  // namespace granule::testing::bad_images
