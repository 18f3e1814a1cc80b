// SPDX-License-Identifier: Apache-2.0
// Checks the writer's output with binutils' readelf, not granule's reader, so
// a mistake shared by the writer and the reader cannot hide.
#include "loader/writer/image_writer.h"

#include <sys/stat.h>

#include <algorithm>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loader/writer/image_writer_test_util.h"
#include "testing/temp_file.h"

namespace granule {
namespace {

using ::granule::testing::ReadelfDynamic;
using ::granule::testing::ReadelfRelocation;
using ::granule::testing::ReadelfReport;
using ::granule::testing::ReadelfSection;
using ::granule::testing::ReadelfSegment;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr uint64_t k64K = 0x10000;

uint64_t AlignUp(uint64_t value, uint64_t align) {
  return (value + align - 1) / align * align;
}

// The image every variant test writes: sections out of access order, NOBITS
// before PROGBITS in the spec, relocations in unsorted place order, one at a
// target's very end.
ImageSpec TypicalSpec(ElfVariant variant, RelocationFormat format,
                      Layout layout) {
  ImageSpec spec;
  spec.variant = variant;
  spec.machine = elf::kMachineX86_64;
  spec.os_abi = elf::kOsAbiGuile;
  spec.layout = layout;
  spec.relocation_format = format;
  spec.sections = {
      {".rodata", SectionAccess::kRead, 16, testing::PatternBytes(100, 1)},
      {".bss", SectionAccess::kReadWrite, 8, {}, 1000},
      {".text", SectionAccess::kReadExecute, 16, testing::PatternBytes(300, 2)},
      {".data", SectionAccess::kReadWrite, 8, testing::PatternBytes(4096, 3)},
  };
  spec.relocations = {
      {{".data", 800}, {".text", 4}},    {{".data", 0}, {".rodata", 0}},
      {{".data", 24}, {".data", 8}},     {{".data", 16}, {".bss", 0}},
      {{".data", 4000}, {".text", 300}},
  };
  spec.dynamic = {
      {elf::kDtGuileEntry, 0, ".text", 4},
      {elf::kDtGuileVmVersion, 0x0304, "", 0},
      {elf::kDtGuileGcRoot, 0, ".data", 0},
      {elf::kDtGuileGcRootSize, 4096, "", 0},
  };
  return spec;
}

using Param = std::tuple<ElfVariant, RelocationFormat, Layout>;

std::string ParamName(const ::testing::TestParamInfo<Param>& info) {
  const auto& [variant, format, layout] = info.param;
  const char* formats[] = {"Rela", "Rel", "Relr"};
  return absl::StrFormat("%s%s_%s_%s", variant.is64 ? "Elf64" : "Elf32",
                         variant.big_endian ? "BE" : "LE",
                         formats[static_cast<int>(format)],
                         layout == Layout::kOneToOne ? "OneToOne" : "Compact");
}

class ImageWriterVariantTest : public ::testing::TestWithParam<Param> {
 protected:
  void SetUp() override {
    const auto& [variant, format, layout] = GetParam();
    spec_ = TypicalSpec(variant, format, layout);
    path_ = testing::TempPath("image");
    ASSERT_TRUE(WriteImage(spec_, path_).ok());
    elf_ = ReadelfOrFail(path_);
    word_ = variant.is64 ? 8 : 4;
  }

  const ReadelfSection& Section(const std::string& name) const {
    for (const ReadelfSection& s : elf_.sections) {
      if (s.name == name) return s;
    }
    ADD_FAILURE() << "no section " << name;
    static const ReadelfSection kNone = {};
    return kNone;
  }
  const char* TableName() const {
    const char* names[] = {".rela.dyn", ".rel.dyn", ".relr.dyn"};
    return names[static_cast<int>(spec_.relocation_format)];
  }
  // Addresses of the places, in spec order, and what each must become.
  std::vector<uint64_t> Places() const {
    std::vector<uint64_t> places;
    for (const RelocationSpec& r : spec_.relocations) {
      places.push_back(Section(r.place.section).addr + r.place.offset);
    }
    return places;
  }
  std::vector<uint64_t> Values() const {
    std::vector<uint64_t> values;
    for (const RelocationSpec& r : spec_.relocations) {
      values.push_back(Section(r.target.section).addr + r.target.offset);
    }
    return values;
  }

  ImageSpec spec_;
  std::string path_;
  ReadelfReport elf_;
  int word_ = 8;
};

TEST_P(ImageWriterVariantTest, ReadelfIsSilent) {
  EXPECT_THAT(elf_.output, Not(HasSubstr("Warning")));
  EXPECT_THAT(elf_.output, Not(HasSubstr("Error")));
  EXPECT_THAT(elf_.warnings, IsEmpty());  // readelf's stderr.
}

TEST_P(ImageWriterVariantTest, ElfHeader) {
  const ElfVariant variant = spec_.variant;
  EXPECT_THAT(
      elf_.output,
      HasSubstr(absl::StrFormat(
          "Magic:   7f 45 4c 46 %02x %02x 01 ff 00 00 00 00 00 00 00 00",
          variant.is64 ? 2 : 1, variant.big_endian ? 2 : 1)));
  EXPECT_EQ(elf_.Header("Type"), "DYN (Shared object file)");
  EXPECT_EQ(elf_.Header("Machine"), "Advanced Micro Devices X86-64");
  EXPECT_EQ(elf_.Header("Version"), "1 (current)");
  EXPECT_EQ(elf_.Header("Entry point address"), "0x0");
  EXPECT_EQ(elf_.Header("Start of program headers"),
            variant.is64 ? "64 (bytes into file)" : "52 (bytes into file)");
  EXPECT_EQ(elf_.Header("Size of this header"),
            variant.is64 ? "64 (bytes)" : "52 (bytes)");
  EXPECT_EQ(elf_.Header("Size of program headers"),
            variant.is64 ? "56 (bytes)" : "32 (bytes)");
  EXPECT_EQ(elf_.Header("Size of section headers"),
            variant.is64 ? "64 (bytes)" : "40 (bytes)");
  EXPECT_EQ(elf_.Header("Number of program headers"), "4");
  EXPECT_EQ(elf_.Header("Number of section headers"), "11");
  EXPECT_EQ(elf_.Header("Section header string table index"), "10");
}

TEST_P(ImageWriterVariantTest, SectionTable) {
  std::vector<std::string> names, types, flags;
  for (const ReadelfSection& s : elf_.sections) {
    names.push_back(s.name);
    types.push_back(s.type);
    flags.push_back(s.flags);
  }
  EXPECT_THAT(names, ElementsAre("", ".rodata", ".bss", ".text", ".data",
                                 ".hash", ".dynsym", ".dynstr", TableName(),
                                 ".dynamic", ".shstrtab"));
  const char* table_types[] = {"RELA", "REL", "RELR"};
  EXPECT_THAT(
      types, ElementsAre("NULL", "PROGBITS", "NOBITS", "PROGBITS", "PROGBITS",
                         "HASH", "DYNSYM", "STRTAB",
                         table_types[static_cast<int>(spec_.relocation_format)],
                         "DYNAMIC", "STRTAB"));
  EXPECT_THAT(flags, ElementsAre("", "A", "WA", "AX", "WA", "A", "A", "A", "A",
                                 "A", ""));
  // The gABI's links: .hash and REL/RELA to .dynsym (6), .dynsym and
  // .dynamic to .dynstr (7); RELR names no symbol.
  EXPECT_EQ(Section(".hash").link, 6u);
  EXPECT_EQ(Section(".dynsym").link, 7u);
  EXPECT_EQ(Section(".dynsym").info, 1u);
  EXPECT_EQ(Section(".dynamic").link, 7u);
  EXPECT_EQ(Section(TableName()).link,
            spec_.relocation_format == RelocationFormat::kRelr ? 0u : 6u);
  EXPECT_EQ(Section(".dynsym").size, spec_.variant.is64 ? 24u : 16u);
  EXPECT_EQ(Section(".dynstr").size, 1u);
  EXPECT_EQ(Section(".hash").size, 16u);
  EXPECT_EQ(Section(".rodata").size, 100u);
  EXPECT_EQ(Section(".bss").size, 1000u);
  EXPECT_EQ(Section(".text").size, 300u);
  EXPECT_EQ(Section(".data").size, 4096u);
  EXPECT_EQ(Section(".rodata").align, 16u);
  EXPECT_EQ(Section(".dynamic").entsize, 2u * word_);
  // 3 of the table, 4 of the spec, 5 of the symbol table, DT_NULL.
  EXPECT_EQ(Section(".dynamic").size, 13u * 2 * word_);
  const uint64_t entsizes[] = {3u * word_, 2u * word_, uint64_t(word_)};
  EXPECT_EQ(Section(TableName()).entsize,
            entsizes[static_cast<int>(spec_.relocation_format)]);
  for (const ReadelfSection& s : elf_.sections) {
    if (s.align > 1) {
      EXPECT_EQ(s.addr % s.align, 0u) << s.name;
    }
  }
}

TEST_P(ImageWriterVariantTest, ProgramHeaders) {
  ASSERT_EQ(elf_.segments.size(), 4u);
  const ReadelfSegment &r = elf_.segments[0], &rx = elf_.segments[1],
                       &rw = elf_.segments[2], &dynamic = elf_.segments[3];
  EXPECT_EQ(r.type, gabi::kPtLoad);
  EXPECT_EQ(rx.type, gabi::kPtLoad);
  EXPECT_EQ(rw.type, gabi::kPtLoad);
  EXPECT_EQ(dynamic.type, gabi::kPtDynamic);
  EXPECT_EQ(r.flags, gabi::kPfR);
  EXPECT_EQ(rx.flags, gabi::kPfR | gabi::kPfX);
  EXPECT_EQ(rw.flags, gabi::kPfR | gabi::kPfW);
  EXPECT_EQ(dynamic.flags, gabi::kPfR);
  for (const ReadelfSegment* p : {&r, &rx, &rw}) {
    EXPECT_EQ(p->align, k64K);
    EXPECT_EQ(p->paddr, p->vaddr);
  }
  EXPECT_EQ(dynamic.align, uint64_t(word_));

  // R: the headers, .rodata, the symbol table, the relocation table,
  // .dynamic, in that order.
  const uint64_t headers = spec_.variant.is64 ? 64 + 4 * 56 : 52 + 4 * 32;
  const ReadelfSection &rodata = Section(".rodata"), &hash = Section(".hash"),
                       &dynsym = Section(".dynsym"),
                       &dynstr = Section(".dynstr"),
                       &table = Section(TableName()),
                       &dyn = Section(".dynamic");
  EXPECT_EQ(r.offset, 0u);
  EXPECT_EQ(r.vaddr, 0u);
  EXPECT_EQ(rodata.offset, AlignUp(headers, 16));
  EXPECT_EQ(hash.offset, AlignUp(rodata.offset + rodata.size, 4));
  EXPECT_EQ(dynsym.offset, AlignUp(hash.offset + hash.size, word_));
  EXPECT_EQ(dynstr.offset, dynsym.offset + dynsym.size);
  EXPECT_EQ(table.offset, AlignUp(dynstr.offset + dynstr.size, word_));
  EXPECT_EQ(dyn.offset, AlignUp(table.offset + table.size, word_));
  EXPECT_EQ(r.filesz, dyn.offset + dyn.size);
  EXPECT_EQ(r.memsz, r.filesz);
  EXPECT_EQ(dynamic.offset, dyn.offset);
  EXPECT_EQ(dynamic.vaddr, dyn.addr);
  EXPECT_EQ(dynamic.filesz, dyn.size);
  EXPECT_EQ(dynamic.memsz, dyn.size);

  // Everything here is smaller than 64 KiB, so each segment gets the next
  // 64 KiB block of addresses; on disk, 1:1 pads to it and compact packs.
  if (spec_.layout == Layout::kOneToOne) {
    EXPECT_EQ(rx.offset, k64K);
    EXPECT_EQ(rw.offset, 2 * k64K);
  } else {
    EXPECT_EQ(rx.offset, AlignUp(r.filesz, 16));
    EXPECT_EQ(rw.offset, AlignUp(rx.offset + rx.filesz, 8));
  }
  EXPECT_EQ(rx.vaddr, k64K + rx.offset % k64K);
  EXPECT_EQ(rw.vaddr, 2 * k64K + rw.offset % k64K);
  EXPECT_EQ(rx.filesz, 300u);
  EXPECT_EQ(rx.memsz, 300u);
  // 1:1 covers .bss with file bytes (a hole) up to the next 64 KiB, so
  // zero-filled memory never starts off Windows' allocation granularity.
  EXPECT_EQ(rw.filesz,
            spec_.layout == Layout::kOneToOne ? 4096u + 1000u : 4096u);
  EXPECT_EQ(rw.memsz, 4096u + 1000u);

  // Sections sit where their segment maps them; NOBITS follows PROGBITS.
  EXPECT_EQ(Section(".text").offset, rx.offset);
  EXPECT_EQ(Section(".text").addr, rx.vaddr);
  EXPECT_EQ(Section(".data").offset, rw.offset);
  EXPECT_EQ(Section(".data").addr, rw.vaddr);
  EXPECT_EQ(Section(".bss").addr, rw.vaddr + 4096);
  EXPECT_EQ(Section(".bss").offset, rw.offset + 4096);
  EXPECT_EQ(Section(".rodata").addr, rodata.offset);

  // .shstrtab follows the last segment's file bytes, then the headers.
  const ReadelfSection& shstrtab = Section(".shstrtab");
  EXPECT_EQ(shstrtab.offset, rw.offset + rw.filesz);
  const uint64_t shoff = AlignUp(shstrtab.offset + shstrtab.size, word_);
  EXPECT_EQ(elf_.Header("Start of section headers"),
            absl::StrFormat("%d (bytes into file)", shoff));
  struct stat st;
  ASSERT_EQ(stat(path_.c_str(), &st), 0);
  EXPECT_EQ(uint64_t(st.st_size),
            shoff + 11 * (spec_.variant.is64 ? 64 : 40));
}

TEST_P(ImageWriterVariantTest, DynamicEntries) {
  const ReadelfSection& table = Section(TableName());
  const int64_t tags[3][3] = {{7, 8, 9}, {17, 18, 19}, {36, 35, 37}};
  const int64_t* t = tags[static_cast<int>(spec_.relocation_format)];
  EXPECT_THAT(
      elf_.dynamic,
      ElementsAre(ReadelfDynamic{t[0], table.addr},
                  ReadelfDynamic{t[1], table.size},
                  ReadelfDynamic{t[2], table.entsize},
                  ReadelfDynamic{0x37146002, Section(".text").addr + 4},
                  ReadelfDynamic{0x37146003, 0x304},
                  ReadelfDynamic{0x37146000, Section(".data").addr},
                  ReadelfDynamic{0x37146001, 4096},
                  ReadelfDynamic{gabi::kDtHash, Section(".hash").addr},
                  ReadelfDynamic{gabi::kDtStrtab, Section(".dynstr").addr},
                  ReadelfDynamic{gabi::kDtSymtab, Section(".dynsym").addr},
                  ReadelfDynamic{gabi::kDtStrsz, 1},
                  ReadelfDynamic{gabi::kDtSyment, Section(".dynsym").entsize},
                  ReadelfDynamic{0, 0}));
}

TEST_P(ImageWriterVariantTest, Relocations) {
  ASSERT_EQ(elf_.relocation_sections.size(), 1u);
  EXPECT_EQ(elf_.relocation_sections[0], TableName());
  if (spec_.relocation_format == RelocationFormat::kRelr) {
    std::vector<uint64_t> sorted = Places();
    std::sort(sorted.begin(), sorted.end());
    EXPECT_THAT(elf_.relr_offsets, ElementsAreArray(sorted));
    return;
  }
  ASSERT_EQ(elf_.relocations.size(), spec_.relocations.size());
  const std::vector<uint64_t> places = Places(), values = Values();
  for (size_t i = 0; i < places.size(); ++i) {
    const ReadelfRelocation& r = elf_.relocations[i];
    EXPECT_EQ(r.offset, places[i]) << i;  // Spec order.
    EXPECT_EQ(r.info, 8u) << i;           // Symbol 0, R_X86_64_RELATIVE.
    EXPECT_EQ(r.type, "R_X86_64_RELATIVE") << i;
    if (spec_.relocation_format == RelocationFormat::kRela) {
      EXPECT_EQ(r.addend, values[i]) << i;
    }
  }
}

TEST_P(ImageWriterVariantTest, FileHoldsSectionBytesAndPlaceWords) {
  const std::vector<uint8_t> file = ReadFile(path_);
  absl::StatusOr<ImageBytes> built = BuildImage(spec_);
  ASSERT_TRUE(built.ok()) << built.status();
  EXPECT_EQ(built->Flatten(), file);

  for (const SectionSpec& s : spec_.sections) {
    if (s.zero_size > 0) continue;
    std::vector<uint8_t> expected = s.bytes;
    // Each place holds the value (REL, RELR) or 0 (RELA, whose addend is in
    // the table).
    const std::vector<uint64_t> values = Values();
    for (size_t i = 0; i < spec_.relocations.size(); ++i) {
      if (spec_.relocations[i].place.section != s.name) continue;
      const uint64_t word =
          spec_.relocation_format == RelocationFormat::kRela ? 0 : values[i];
      StoreWordForTest(&expected[spec_.relocations[i].place.offset], word_,
                       spec_.variant.big_endian, word);
    }
    const uint64_t at = Section(s.name).offset;
    ASSERT_LE(at + expected.size(), file.size());
    EXPECT_TRUE(std::equal(expected.begin(), expected.end(), file.begin() + at))
        << s.name;
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllVariants, ImageWriterVariantTest,
    ::testing::Combine(::testing::ValuesIn(kAllVariants),
                       ::testing::Values(RelocationFormat::kRela,
                                         RelocationFormat::kRel,
                                         RelocationFormat::kRelr),
                       ::testing::Values(Layout::kOneToOne, Layout::kCompact)),
    ParamName);

}  // namespace
}  // namespace granule
