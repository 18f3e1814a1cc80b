// SPDX-License-Identifier: Apache-2.0
// Every spec BuildImage refuses, with the message that names the fault.
#include <cstdint>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loader/writer/image_writer.h"

namespace granule {
namespace {

using ::testing::HasSubstr;

constexpr ElfVariant kElf64 = {true, false};
constexpr ElfVariant kElf32 = {false, false};

// A valid image to break one field at a time.
ImageSpec ValidSpec(ElfVariant variant = kElf64) {
  ImageSpec spec;
  spec.variant = variant;
  spec.machine = elf::kMachineX86_64;
  spec.sections = {
      {".rodata", SectionAccess::kRead, 8, std::vector<uint8_t>(16, 1)},
      {".text", SectionAccess::kReadExecute, 16, std::vector<uint8_t>(16, 2)},
      {".data", SectionAccess::kReadWrite, 8, std::vector<uint8_t>(16, 3)},
      {".bss", SectionAccess::kReadWrite, 8, {}, 32},
  };
  spec.relocations = {{{".data", 8}, {".text", 16}}};
  spec.dynamic = {{elf::kDtGuileEntry, 0, ".text", 16}};
  return spec;
}

// Expects BuildImage to fail with InvalidArgument and `message` in the text.
void ExpectInvalid(const ImageSpec& spec, const std::string& message) {
  absl::StatusOr<ImageBytes> image = BuildImage(spec);
  ASSERT_FALSE(image.ok()) << "expected: " << message;
  EXPECT_EQ(image.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(image.status().message(), HasSubstr(message));
}

TEST(ImageWriterValidationTest, TheBaseSpecIsValid) {
  EXPECT_TRUE(BuildImage(ValidSpec()).ok());
  EXPECT_TRUE(BuildImage(ValidSpec(kElf32)).ok());
}

TEST(ImageWriterValidationTest, SegmentAlignment) {
  ImageSpec spec = ValidSpec();
  spec.segment_alignment = 3 * 4096;
  ExpectInvalid(spec, "segment alignment 12288 is not a power of two");
  spec.segment_alignment = 0;
  ExpectInvalid(spec, "segment alignment 0 is not a power of two");
  spec.segment_alignment = 4;
  ExpectInvalid(spec,
                "segment alignment 4 is smaller than the ELF64 little-endian "
                "word size 8");
}

TEST(ImageWriterValidationTest, SectionNames) {
  ImageSpec spec = ValidSpec();
  spec.sections[1].name = "";
  ExpectInvalid(spec, "section 1 has an empty name");
  spec = ValidSpec();
  spec.sections[3].name = ".data";
  ExpectInvalid(spec,
                "section 3: the name '.data' is already used by section 2");
  for (const char* reserved :
       {".dynamic", ".shstrtab", ".rela.dyn", ".rel.dyn", ".relr.dyn"}) {
    spec = ValidSpec();
    spec.sections[0].name = reserved;
    ExpectInvalid(spec, std::string("section 0: the name '") + reserved +
                            "' is reserved for the section the writer adds");
  }
}

TEST(ImageWriterValidationTest, SectionAlignment) {
  ImageSpec spec = ValidSpec();
  spec.sections[0].alignment = 0;
  ExpectInvalid(spec, "section '.rodata': alignment 0 is not a power of two");
  spec.sections[0].alignment = 24;
  ExpectInvalid(spec, "section '.rodata': alignment 24 is not a power of two");
  spec.sections[0].alignment = 0x20000;
  ExpectInvalid(spec,
                "section '.rodata': alignment 131072 exceeds the segment "
                "alignment 65536");
}

TEST(ImageWriterValidationTest, Nobits) {
  ImageSpec spec = ValidSpec();
  spec.sections[3].bytes = {1, 2};
  ExpectInvalid(spec,
                "section '.bss': zero_size 32 with 2 bytes; a NOBITS section "
                "has no bytes");
  spec = ValidSpec();
  spec.sections[3].access = SectionAccess::kRead;
  ExpectInvalid(spec,
                "section '.bss': zero_size 32 in an R section; NOBITS sections "
                "must be RW");
  spec.sections[3].access = SectionAccess::kReadExecute;
  ExpectInvalid(spec, "zero_size 32 in an RX section");
}

TEST(ImageWriterValidationTest, TooManySections) {
  ImageSpec spec = ValidSpec();
  spec.sections.resize(0xff00 - 3);
  ExpectInvalid(spec, "65277 sections: ELF section indexes end at 0xfeff");
}

TEST(ImageWriterValidationTest, Overflow) {
  ImageSpec spec = ValidSpec();
  spec.sections[3].zero_size = ~uint64_t{0} - 100;
  ExpectInvalid(spec,
                "section '.bss': the image would not fit in 64-bit offsets");
  spec = ValidSpec();
  spec.segment_alignment = uint64_t{1} << 63;
  ExpectInvalid(spec, "the RW segment: the image would not fit in 64-bit");
}

TEST(ImageWriterValidationTest, Elf32Limits) {
  ImageSpec spec = ValidSpec(kElf32);
  spec.sections[3].zero_size = uint64_t{1} << 32;
  ExpectInvalid(spec,
                "the image needs 0x100020010 bytes of file or address "
                "space; ELF32 holds 0x100000000");
}

TEST(ImageWriterValidationTest, MachineWithoutRelativeType) {
  ImageSpec spec = ValidSpec();
  spec.machine = elf::kMachineMips;
  ExpectInvalid(spec,
                "1 relocations, but granule knows no relative relocation type "
                "for MIPS (e_machine 8)");
  spec.machine = 9999;
  ExpectInvalid(spec, "for machine 9999 (e_machine 9999)");
  spec.relocations.clear();  // Without relocations any machine will do.
  EXPECT_TRUE(BuildImage(spec).ok());

  spec = ValidSpec(kElf32);
  spec.machine = elf::kMachineAarch64;
  ExpectInvalid(spec,
                "the relative relocation type 1027 of AArch64 does not fit "
                "ELF32's 8-bit r_info type");
}

TEST(ImageWriterValidationTest, RelocationPlace) {
  ImageSpec spec = ValidSpec();
  spec.relocations[0].place.section = ".nope";
  ExpectInvalid(spec, "relocation 0: no place section named '.nope'");
  spec.relocations[0].place = {".rodata", 0};
  ExpectInvalid(spec,
                "relocation 0: place section '.rodata' is R; places must be "
                "in RW sections");
  spec.relocations[0].place = {".text", 0};
  ExpectInvalid(spec, "place section '.text' is RX; places must be in RW");
  spec.relocations[0].place = {".bss", 0};
  ExpectInvalid(spec,
                "relocation 0: place section '.bss' is NOBITS; places need "
                "file bytes to hold the word");
  spec.relocations[0].place = {".data", 4};
  ExpectInvalid(spec,
                "relocation 0: place '.data'+0x4 (address 0x20004) is not "
                "word-aligned (words are 8 bytes)");
  // Misaligned and past the end: the alignment is named.
  spec.relocations[0].place = {".data", 12};
  ExpectInvalid(spec,
                "relocation 0: place '.data'+0xc (address 0x2000c) is not "
                "word-aligned");
  spec.relocations[0].place = {".data", 16};
  ExpectInvalid(spec,
                "relocation 0: the 8-byte word at offset 0x10 runs past the "
                "end of '.data' (16 bytes)");
  spec.relocations[0].place = {".data", ~uint64_t{0} - 7};
  ExpectInvalid(spec, "runs past the end of '.data' (16 bytes)");

  // ELF32's word is 4 bytes: offset 4 is aligned, 14 is not, 16 is past.
  spec = ValidSpec(kElf32);
  spec.relocations[0].place = {".data", 12};
  EXPECT_TRUE(BuildImage(spec).ok());
  spec.relocations[0].place = {".data", 6};
  ExpectInvalid(spec, "is not word-aligned (words are 4 bytes)");
  spec.relocations[0].place = {".data", 16};
  ExpectInvalid(spec, "the 4-byte word at offset 0x10 runs past the end");
}

TEST(ImageWriterValidationTest, RelocationTarget) {
  ImageSpec spec = ValidSpec();
  spec.relocations.push_back({{".data", 0}, {".nope", 0}});
  ExpectInvalid(spec, "relocation 1: no target section named '.nope'");
  spec.relocations[1].target = {".text", 17};
  ExpectInvalid(spec,
                "relocation 1: target offset 0x11 is past the end of '.text' "
                "(16 bytes)");
  spec.relocations[1].target = {".bss", 32};  // The end of NOBITS is fine.
  EXPECT_TRUE(BuildImage(spec).ok());
}

TEST(ImageWriterValidationTest, DuplicatePlace) {
  ImageSpec spec = ValidSpec();
  spec.relocations.push_back({{".data", 0}, {".text", 0}});
  spec.relocations.push_back({{".data", 8}, {".rodata", 0}});
  for (RelocationFormat format :
       {RelocationFormat::kRela, RelocationFormat::kRel,
        RelocationFormat::kRelr}) {
    spec.relocation_format = format;
    ExpectInvalid(spec,
                  "relocation 2: place '.data'+0x8 is also the place of "
                  "relocation 0");
  }
}

TEST(ImageWriterValidationTest, DynamicEntries) {
  ImageSpec spec = ValidSpec();
  spec.dynamic.push_back({elf::kDtNull, 0, "", 0});
  ExpectInvalid(spec,
                "dynamic entry 1 (tag 0): DT_NULL ends the table; the writer "
                "adds it");
  for (int64_t tag : {elf::kDtRela, elf::kDtRelsz, elf::kDtRelr}) {
    spec.dynamic[1] = {tag, 0, "", 0};
    ExpectInvalid(spec, "relocation entries are written from the relocations");
  }
  spec.dynamic[1] = {elf::kDtGuileFrameMaps, 0, ".nope", 0};
  ExpectInvalid(spec,
                "dynamic entry 1 (tag 0x37146004): no section named '.nope'");
  spec.dynamic[1] = {elf::kDtGuileFrameMaps, 0, ".rodata", 17};
  ExpectInvalid(spec,
                "dynamic entry 1 (tag 0x37146004): offset 0x11 is past the end "
                "of '.rodata' (16 bytes)");
  spec.dynamic[1].address_offset = 16;
  EXPECT_TRUE(BuildImage(spec).ok());
}

TEST(ImageWriterValidationTest, DynamicEntriesInElf32) {
  ImageSpec spec = ValidSpec(kElf32);
  spec.dynamic.push_back({int64_t{1} << 31, 0, "", 0});
  ExpectInvalid(spec,
                "dynamic entry 1 (tag 0x80000000): the tag does not fit "
                "ELF32's d_tag");
  spec.dynamic[1] = {-1, 0, "", 0};  // Negative tags fit a signed d_tag.
  EXPECT_TRUE(BuildImage(spec).ok());
  spec.dynamic[1] = {elf::kDtGuileGcRootSize, uint64_t{1} << 32, "", 0};
  ExpectInvalid(spec, "value 0x100000000 does not fit ELF32's d_val");
}

}  // namespace
}  // namespace granule
