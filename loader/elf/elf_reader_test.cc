// SPDX-License-Identifier: Apache-2.0
// The reader against the image contract: every rejected field has a case
// asserting its message, in all four ELF variants.
#include <functional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loader/elf/elf_image.h"
#include "platform/status_macros.h"
#include "testing/raw_elf.h"
#include "testing/temp_file.h"

namespace granule {
namespace {

using ::granule::testing::HeaderFieldOffsets;
using ::granule::testing::RawElf;
using ::granule::testing::TwoSegmentImage;
using ::testing::HasSubstr;

absl::StatusOr<ElfImage> ReadBytes(const std::vector<uint8_t>& bytes) {
  GRANULE_ASSIGN_OR_RETURN(std::string path,
                           granule::testing::WriteTempFile("elf", bytes));
  GRANULE_ASSIGN_OR_RETURN(File file, File::OpenForReading(path));
  return ReadElfImage(file);
}

class ElfReaderTest : public ::testing::TestWithParam<ElfVariant> {
 protected:
  ElfVariant variant() const { return GetParam(); }
  RawElf Image() const {
    return TwoSegmentImage(variant(), {{elf::kDtGuileVmVersion, 0x3000006},
                                       {elf::kDtGuileEntry, 0x100}});
  }
  // Encodes Image() after `mutate`, reads it, and returns the error text.
  std::string ErrorAfter(const std::function<void(RawElf&)>& mutate) const {
    RawElf elf = Image();
    mutate(elf);
    return ErrorOf(elf.Encode());
  }
  std::string ErrorOf(const std::vector<uint8_t>& bytes) const {
    absl::StatusOr<ElfImage> image = ReadBytes(bytes);
    if (image.ok()) return "read succeeded";
    EXPECT_EQ(image.status().code(), absl::StatusCode::kInvalidArgument)
        << image.status();
    return std::string(image.status().message());
  }
  // Encodes Image(), stores `value` in the `width`-byte header field at
  // `offset`, and returns the error text.
  std::string ErrorWithHeaderField(int offset, int width, uint64_t value) {
    std::vector<uint8_t> bytes = Image().Encode();
    StoreUnsigned(bytes.data() + offset, width, variant().big_endian, value);
    return ErrorOf(bytes);
  }
};

TEST_P(ElfReaderTest, ReadsAValidImage) {
  absl::StatusOr<ElfImage> image = ReadBytes(Image().Encode());
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ(image->variant, variant());
  EXPECT_EQ(image->type, elf::kTypeDyn);
  EXPECT_EQ(image->layout, Layout::kOneToOne);
  EXPECT_TRUE(image->MeetsAlignmentContract());
  ASSERT_EQ(image->LoadSegments().size(), 2u);
  const Segment& rw = *image->LoadSegments()[1];
  EXPECT_EQ(rw.vaddr, 0x10000u);
  EXPECT_EQ(rw.memsz, 0x1000u);
  EXPECT_EQ(rw.align, 0x10000u);
  EXPECT_EQ(rw.FlagString(), "RW");
  ASSERT_EQ(image->dynamic.size(), 2u);  // DT_NULL ends the table.
  EXPECT_EQ(image->DynamicValue(elf::kDtGuileVmVersion), 0x3000006u);
  EXPECT_EQ(image->DynamicValue(elf::kDtGuileEntry), 0x100u);
  ASSERT_NE(image->FindSection(".data"), nullptr);
  EXPECT_EQ(image->FindSection(".data")->addr, 0x10000u);
  EXPECT_EQ(image->load_start(), 0u);
  EXPECT_EQ(image->load_end(), 0x11000u);
}

TEST_P(ElfReaderTest, CompactLayoutIsRecognised) {
  RawElf elf = Image();
  elf.segments[1].offset = 0x1000;  // Packed on disk, 64 KiB apart in memory.
  elf.segments[1].vaddr = 0x11000;
  absl::StatusOr<ElfImage> image = ReadBytes(elf.Encode());
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ(image->layout, Layout::kCompact);
  EXPECT_TRUE(image->MeetsAlignmentContract());
}

TEST_P(ElfReaderTest, SmallAlignmentBreaksTheContractButReads) {
  RawElf elf = Image();
  elf.segments[0].align = elf.segments[1].align = 0x1000;
  absl::StatusOr<ElfImage> image = ReadBytes(elf.Encode());
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_FALSE(image->MeetsAlignmentContract());
}

TEST_P(ElfReaderTest, RejectsTinyFiles) {
  EXPECT_THAT(ErrorOf({0x7f, 'E', 'L'}),
              HasSubstr("file size 3 is smaller than an ELF identification"));
  std::vector<uint8_t> ident = Image().Encode();
  ident.resize(20);
  EXPECT_THAT(ErrorOf(ident),
              HasSubstr("file size 20 is smaller than the " +
                        variant().ToString() + " header"));
}

TEST_P(ElfReaderTest, RejectsBadIdentification) {
  EXPECT_THAT(ErrorWithHeaderField(1, 1, 'e'),
              HasSubstr("not an ELF file: e_ident magic byte 1 is 0x65"));
  EXPECT_THAT(ErrorWithHeaderField(4, 1, 3),
              HasSubstr("e_ident[EI_CLASS] 3 is neither"));
  EXPECT_THAT(ErrorWithHeaderField(5, 1, 0),
              HasSubstr("e_ident[EI_DATA] 0 is neither"));
  EXPECT_THAT(ErrorWithHeaderField(6, 1, 2),
              HasSubstr("e_ident[EI_VERSION] 2 is not EV_CURRENT"));
}

TEST_P(ElfReaderTest, RejectsBadHeaderFields) {
  const testing::HeaderOffsets h = HeaderFieldOffsets(variant());
  const std::string v = variant().ToString();
  EXPECT_THAT(ErrorWithHeaderField(h.type, 2, elf::kTypeExec),
              HasSubstr("e_type 2 is not ET_DYN (3)"));
  EXPECT_THAT(ErrorWithHeaderField(h.version, 4, 0),
              HasSubstr("e_version 0 is not EV_CURRENT"));
  EXPECT_THAT(ErrorWithHeaderField(h.ehsize, 2, 60),
              HasSubstr("e_ehsize 60 is not"));
  EXPECT_THAT(ErrorWithHeaderField(h.phnum, 2, 0), HasSubstr("e_phnum 0"));
  EXPECT_THAT(ErrorWithHeaderField(h.phnum, 2, 0xffff),
              HasSubstr("e_phnum 65535"));
  EXPECT_THAT(ErrorWithHeaderField(h.phentsize, 2, 40),
              HasSubstr("e_phentsize 40 is not"));
  EXPECT_THAT(ErrorWithHeaderField(h.shentsize, 2, 10),
              HasSubstr("e_shentsize 10 is not"));
  EXPECT_THAT(ErrorWithHeaderField(h.shstrndx, 2, 99),
              HasSubstr("e_shstrndx 99 is not below e_shnum"));
  EXPECT_THAT(ErrorWithHeaderField(h.phoff, variant().word_size(), 0xfffff0),
              HasSubstr("program header table (e_phoff) at offset 0xfffff0"));
  EXPECT_THAT(ErrorWithHeaderField(h.shoff, variant().word_size(), 0xfffff0),
              HasSubstr("section header table (e_shoff) at offset 0xfffff0"));
}

TEST_P(ElfReaderTest, RejectsBadLoadSegments) {
  EXPECT_THAT(ErrorAfter([](RawElf& e) { e.segments[1].filesz = 0x2000; }),
              HasSubstr("program header 1: p_filesz 0x2000 exceeds p_memsz "
                        "0x1000"));
  EXPECT_THAT(ErrorAfter([](RawElf& e) {
                e.segments[1].filesz = e.segments[1].memsz = 0x100000;
              }),
              HasSubstr("program header 1: p_offset 0x10000 + p_filesz "
                        "0x100000 extends past the end of the file"));
  EXPECT_THAT(ErrorAfter([](RawElf& e) { e.segments[0].align = 0x3000; }),
              HasSubstr("program header 0: p_align 0x3000 is not a power of "
                        "two"));
  EXPECT_THAT(ErrorAfter([](RawElf& e) { e.segments[1].vaddr = 0x18000; }),
              HasSubstr("program header 1: p_vaddr 0x18000 is not congruent "
                        "to p_offset 0x10000 modulo p_align 0x10000"));
  EXPECT_THAT(ErrorAfter([](RawElf& e) { e.segments[1].flags = elf::kPfW; }),
              HasSubstr("program header 1: p_flags W is not R, RW or RX"));
  EXPECT_THAT(ErrorAfter([](RawElf& e) {
                e.segments[1].flags = elf::kPfR | elf::kPfW | elf::kPfX;
              }),
              HasSubstr("program header 1: p_flags RWX: writable and "
                        "executable together is refused"));
  EXPECT_THAT(ErrorAfter([](RawElf& e) { std::swap(e.segments[0],
                                                   e.segments[1]); }),
              HasSubstr("program header 1: p_vaddr 0x0 is below the end "
                        "0x11000 of the PT_LOAD before it"));
  EXPECT_THAT(ErrorAfter([](RawElf& e) { e.segments[0].memsz = 0x10001; }),
              HasSubstr("program header 1: p_vaddr 0x10000 is below the end "
                        "0x10001"));
  EXPECT_THAT(ErrorAfter([](RawElf& e) {
                e.segments[0].type = e.segments[1].type = elf::kPtNull;
              }),
              HasSubstr("no PT_LOAD program header"));
}

TEST_P(ElfReaderTest, RejectsAddressOverflow) {
  if (!variant().is64) {  // ELF32's address space ends at 2^32.
    RawElf at_the_end = Image();
    at_the_end.segments[1].vaddr = 0xffff0000;
    at_the_end.segments[1].memsz = 0x10000;
    EXPECT_TRUE(ReadBytes(at_the_end.Encode()).ok());
    EXPECT_THAT(ErrorAfter([](RawElf& e) {
                  e.segments[1].vaddr = 0xffff0000;
                  e.segments[1].memsz = 0x10001;
                }),
                HasSubstr("program header 1: p_vaddr 0xffff0000 + p_memsz "
                          "0x10001 overflows the 32-bit address space"));
    return;
  }
  EXPECT_THAT(ErrorAfter([](RawElf& e) {
                e.segments[1].vaddr = 0xffffffffffff0000;
                e.segments[1].offset = 0x10000;
                e.segments[1].memsz = 0x20000;
              }),
              HasSubstr("program header 1: p_vaddr 0xffffffffffff0000 + "
                        "p_memsz 0x20000 overflows"));
}

TEST_P(ElfReaderTest, RejectsBadSpecialSegments) {
  EXPECT_THAT(ErrorAfter([](RawElf& e) { e.segments.push_back(e.segments[2]); }),
              HasSubstr("program header 3: a second PT_DYNAMIC"));
  EXPECT_THAT(ErrorAfter([](RawElf& e) { e.segments[2].vaddr = 0x8000; }),
              HasSubstr("program header 2: PT_DYNAMIC at p_vaddr 0x8000"));
  EXPECT_THAT(ErrorAfter([](RawElf& e) { e.segments[2].offset = 0x900; }),
              HasSubstr("is not inside the file bytes of a PT_LOAD"));
  EXPECT_THAT(ErrorAfter([](RawElf& e) { e.segments[2].filesz -= 1; }),
              HasSubstr("is not a multiple of the entry size"));
  const uint64_t entry = 2 * variant().word_size();
  EXPECT_THAT(ErrorAfter([&](RawElf& e) { e.segments[2].filesz -= entry; }),
              HasSubstr("dynamic table (PT_DYNAMIC) at p_offset 0x800 has no "
                        "DT_NULL among its 2 entries"));
  EXPECT_THAT(ErrorAfter([](RawElf& e) {
                e.segments.push_back({0, elf::kPtGnuRelro, elf::kPfR, 0x0,
                                      0x0, 0x1000, 0x1000, 1});
              }),
              HasSubstr("program header 3: PT_GNU_RELRO at p_vaddr 0x0 (size "
                        "0x1000) is not inside a writable PT_LOAD"));
}

TEST_P(ElfReaderTest, RejectsBadSections) {
  EXPECT_THAT(ErrorAfter([](RawElf& e) { e.sections[0].size = 0x100000; }),
              HasSubstr("section header 1: sh_offset 0x100 + sh_size "
                        "0x100000 extends past the end of the file"));
  const testing::HeaderOffsets h = HeaderFieldOffsets(variant());
  EXPECT_THAT(ErrorWithHeaderField(h.shstrndx, 2, 1),
              HasSubstr("e_shstrndx 1 names section type 1, not SHT_STRTAB"));
  // The name table is the last section; point .rodata's name past its end.
  RawElf elf = Image();
  std::vector<uint8_t> bytes = elf.Encode();
  const uint64_t shoff = LoadUnsigned(bytes.data() + h.shoff,
                                      variant().word_size(),
                                      variant().big_endian);
  const int shdr = variant().sizes().shdr;
  StoreUnsigned(bytes.data() + shoff + shdr, 4, variant().big_endian, 999);
  EXPECT_THAT(ErrorOf(bytes), HasSubstr("section header 1: sh_name 999 is "
                                        "not a terminated string"));
}

TEST_P(ElfReaderTest, ErrorsNameTheFile) {
  const std::string error =
      ErrorAfter([](RawElf& e) { e.segments[0].align = 3; });
  EXPECT_THAT(error, HasSubstr("/elf."));
}

INSTANTIATE_TEST_SUITE_P(AllVariants, ElfReaderTest,
                         ::testing::ValuesIn(kAllVariants),
                         [](const auto& info) {
                           return std::string(info.param.is64 ? "Elf64"
                                                              : "Elf32") +
                                  (info.param.big_endian ? "Big" : "Little");
                         });

TEST(DynamicTagTest, AddressTagsFollowTheGabiRule) {
  EXPECT_TRUE(IsAddressTag(elf::kDtInit));
  EXPECT_FALSE(IsAddressTag(elf::kDtRelasz));
  EXPECT_TRUE(IsAddressTag(elf::kDtGuileGcRoot));
  EXPECT_FALSE(IsAddressTag(elf::kDtGuileGcRootSize));
  EXPECT_TRUE(IsAddressTag(elf::kDtGuileEntry));
  EXPECT_FALSE(IsAddressTag(elf::kDtGuileVmVersion));
  EXPECT_TRUE(IsAddressTag(elf::kDtGuileFrameMaps));
  EXPECT_TRUE(IsAddressTag(0x37146006));   // Unknown even tag: an address.
  EXPECT_FALSE(IsAddressTag(0x37146007));  // Unknown odd tag: a number.
  EXPECT_FALSE(IsAddressTag(0x70000000));  // Processor-specific: unknown.
  EXPECT_EQ(DynamicTagName(elf::kDtGuileEntry), "GUILE_ENTRY");
  EXPECT_EQ(DynamicTagName(0x37146abc), "0x37146abc");
}

}  // namespace
}  // namespace granule
