// SPDX-License-Identifier: Apache-2.0
#include "cli/link_description.h"

#include <string>

#include "cli/link_command.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loader/elf/elf_format.h"
#include "loader/loaded_image.h"
#include "testing/temp_file.h"

namespace granule::cli {
namespace {

using ::testing::HasSubstr;

// A complete description to which tests append one line.
constexpr char kBase[] =
    "variant elf64-little\n"                       // line 1
    "section .rodata r align 16 text \"hi\\0\"\n"  // line 2
    "section .data rw align 8 fill 16 0\n";        // line 3

// The error for `text`, which must fail.
std::string ErrorFor(const std::string& text) {
  absl::StatusOr<ImageSpec> spec = ParseLinkDescription(text, "test.image");
  EXPECT_FALSE(spec.ok()) << "parsed: " << text;
  if (spec.ok()) return "";
  EXPECT_TRUE(absl::IsInvalidArgument(spec.status())) << spec.status();
  return std::string(spec.status().message());
}

// The error when `line` is appended to kBase as line 4.
std::string ErrorForLine(const std::string& line) {
  return ErrorFor(std::string(kBase) + line + "\n");
}

TEST(LinkDescriptionTest, ZeroFilledSections) {
  absl::StatusOr<ImageSpec> spec = ParseLinkDescription(
      "section .data rw fill 16 0\nsection .bss rw align 8 zero 4096\n",
      "bss");
  ASSERT_TRUE(spec.ok()) << spec.status();
  ASSERT_EQ(spec->sections.size(), 2u);
  EXPECT_EQ(spec->sections[1].name, ".bss");
  EXPECT_TRUE(spec->sections[1].bytes.empty());
  EXPECT_EQ(spec->sections[1].zero_size, 4096u);
}

TEST(LinkDescriptionTest, ParsesTheSample) {
  absl::StatusOr<std::string> text = ReadTextFile("cli/testdata/sample.image");
  ASSERT_TRUE(text.ok()) << text.status();
  absl::StatusOr<ImageSpec> spec = ParseLinkDescription(*text, "sample");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->variant, (ElfVariant{true, false}));
  EXPECT_EQ(spec->machine, elf::kMachineNone);
  EXPECT_EQ(spec->layout, Layout::kOneToOne);
  EXPECT_EQ(spec->relocation_format, RelocationFormat::kRela);
  EXPECT_EQ(spec->os_abi, 255);  // Guile's loader accepts no other.
  ASSERT_EQ(spec->sections.size(), 3u);
  EXPECT_EQ(spec->sections[0].name, ".rodata");
  EXPECT_EQ(std::string(spec->sections[0].bytes.begin(),
                        spec->sections[0].bytes.end()),
            std::string("hello, world\0", 13));
  EXPECT_EQ(spec->sections[1].access, SectionAccess::kReadExecute);
  EXPECT_EQ(spec->sections[1].bytes, (std::vector<uint8_t>{0x90, 0x90, 0xc3}));
  EXPECT_EQ(spec->sections[2].bytes, std::vector<uint8_t>(16, 0));
  ASSERT_EQ(spec->relocations.size(), 2u);
  EXPECT_EQ(spec->relocations[1].place.offset, 8u);
  EXPECT_EQ(spec->relocations[1].target.section, ".text");
  ASSERT_EQ(spec->dynamic.size(), 4u);
  EXPECT_EQ(spec->dynamic[0].tag, elf::kDtGuileVmVersion);
  EXPECT_EQ(spec->dynamic[0].value, 0x03000006u);
  EXPECT_EQ(spec->dynamic[1].address_of, ".text");
  EXPECT_EQ(spec->dynamic[2].address_of, ".data");
  EXPECT_EQ(spec->dynamic[3].value, 16u);
}

TEST(LinkDescriptionTest, TheSampleLinksAndItsPointerReachesTheGreeting) {
  absl::StatusOr<std::string> text = ReadTextFile("cli/testdata/sample.image");
  ASSERT_TRUE(text.ok()) << text.status();
  absl::StatusOr<ImageSpec> spec = ParseLinkDescription(*text, "sample");
  ASSERT_TRUE(spec.ok()) << spec.status();
  const std::string path = granule::testing::TempPath("sample.go");
  ASSERT_TRUE(WriteImage(*spec, path).ok());
  absl::StatusOr<std::unique_ptr<LoadedImage>> image = LoadImage(path);
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ((*image)->relocations_applied(), 2u);
  absl::StatusOr<absl::Span<const uint8_t>> data =
      (*image)->SectionBytes(".data");
  ASSERT_TRUE(data.ok()) << data.status();
  const uint64_t pointer = LoadUnsigned(data->data(), 8, false);
  EXPECT_STREQ(reinterpret_cast<const char*>(pointer), "hello, world");
}

TEST(LinkDescriptionTest, AcceptsNamesNumbersSuffixesAndComments) {
  absl::StatusOr<ImageSpec> spec = ParseLinkDescription(
      "  # only a comment\n"
      "variant elf32-big   # trailing comment\n"
      "machine PowerPC\n"
      "layout compact\n"
      "relocations relr\n"
      "alignment 0x10000\n"
      "osabi 255\n"
      "section .text rx hex 90C3 00\n"
      "section .str r text \"a#b\" \"\\x41\\t\\\"\\\\\"\n"
      "section .big rw align 1k fill 2k 0xcc\n"
      "dynamic DT_INIT .text+1\n"
      "dynamic 0x6fffffff 7\n",
      "ok.image");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->variant, (ElfVariant{false, true}));
  EXPECT_EQ(spec->machine, elf::kMachinePpc);
  EXPECT_EQ(spec->layout, Layout::kCompact);
  EXPECT_EQ(spec->relocation_format, RelocationFormat::kRelr);
  EXPECT_EQ(spec->segment_alignment, 65536u);
  EXPECT_EQ(spec->os_abi, 255);
  EXPECT_EQ(spec->sections[0].bytes, (std::vector<uint8_t>{0x90, 0xc3, 0}));
  EXPECT_EQ(std::string(spec->sections[1].bytes.begin(),
                        spec->sections[1].bytes.end()),
            "a#bA\t\"\\");
  EXPECT_EQ(spec->sections[2].alignment, 1024u);
  EXPECT_EQ(spec->sections[2].bytes, std::vector<uint8_t>(2048, 0xcc));
  EXPECT_EQ(spec->dynamic[0].tag, elf::kDtInit);
  EXPECT_EQ(spec->dynamic[0].address_offset, 1u);
  EXPECT_EQ(spec->dynamic[1].tag, 0x6fffffff);
  for (const char* machine : {"x86_64", "X86-64", "62", "0x3e", "amd64"}) {
    absl::StatusOr<ImageSpec> m = ParseLinkDescription(
        absl::StrCat("machine ", machine, "\nsection .a r hex 00\n"), "m");
    ASSERT_TRUE(m.ok()) << machine << ": " << m.status();
    EXPECT_EQ(m->machine, elf::kMachineX86_64) << machine;
  }
}

TEST(LinkDescriptionTest, TokenErrorsNameTheLineAndTheToken) {
  EXPECT_EQ(ErrorForLine("section .s r text \"abc\\"),
            "test.image:4: a backslash ends the line");
  EXPECT_EQ(ErrorForLine("section .s r text \"\\xZ1\""),
            "test.image:4: bad escape '\\xZ1': \\x takes two hex digits");
  EXPECT_EQ(ErrorForLine("section .s r text \"\\q\""),
            "test.image:4: bad escape '\\q' (expected \\n \\t \\0 \\\\ \\\" "
            "or \\xHH)");
  EXPECT_EQ(ErrorForLine("section .s r text \"abc"),
            "test.image:4: unterminated string \"abc");
  EXPECT_EQ(ErrorForLine("section .s r text \"abc\"def"),
            "test.image:4: expected a blank after the string \"abc\", not "
            "'d'");
  EXPECT_EQ(ErrorForLine("section .s r text abc\"def\""),
            "test.image:4: a quote inside 'abc\"': strings stand alone");
}

TEST(LinkDescriptionTest, HeaderErrors) {
  EXPECT_EQ(ErrorForLine("frobnicate 1"),
            "test.image:4: unknown directive 'frobnicate' (expected variant, "
            "machine, layout, relocations, alignment, osabi, section, reloc "
            "or dynamic)");
  EXPECT_EQ(ErrorForLine("layout"),
            "test.image:4: incomplete 'layout' line (expected: layout VALUE)");
  EXPECT_EQ(ErrorForLine("layout 1:1 extra"),
            "test.image:4: unexpected 'extra' at the end of the 'layout' line "
            "(expected: layout VALUE)");
  EXPECT_EQ(ErrorForLine("variant elf32-big"),
            "test.image:4: 'variant' already given on line 1");
  EXPECT_EQ(ErrorForLine("variant elf65-little"),
            "test.image:4: 'variant' already given on line 1");
  EXPECT_EQ(ErrorFor("variant elf65-little\n"),
            "test.image:1: bad variant 'elf65-little': expected elf64-little, "
            "elf64-big, elf32-little or elf32-big");
  EXPECT_EQ(ErrorForLine("machine vax"),
            "test.image:4: bad machine 'vax': expected none, a machine name "
            "such as x86-64, or a number");
  EXPECT_EQ(ErrorForLine("machine 70000"),
            "test.image:4: bad machine '70000': expected none, a machine "
            "name such as x86-64, or a number");
  EXPECT_EQ(ErrorForLine("layout 2:1"),
            "test.image:4: bad layout '2:1': expected 1:1 or compact");
  EXPECT_EQ(ErrorForLine("relocations rel32"),
            "test.image:4: bad relocations 'rel32': expected rela, rel or "
            "relr");
  EXPECT_EQ(ErrorForLine("alignment 3k"),
            "test.image:4: bad alignment '3k': expected a power of two, such "
            "as 64k");
  EXPECT_EQ(ErrorForLine("osabi 256"),
            "test.image:4: bad osabi '256': expected a number from 0 to 255");
}

TEST(LinkDescriptionTest, SectionErrors) {
  EXPECT_EQ(ErrorForLine("section .s r"),
            "test.image:4: incomplete 'section' line (expected: section NAME "
            "r|rx|rw [align N] text \"...\"|hex BYTES|fill N BYTE|zero N)");
  EXPECT_EQ(ErrorForLine("section .data rw hex 00"),
            "test.image:4: section '.data' already defined on line 3");
  EXPECT_EQ(ErrorForLine("section .s rwx hex 00"),
            "test.image:4: section '.s': bad access 'rwx': expected r, rx or "
            "rw");
  EXPECT_EQ(ErrorForLine("section .s r align 24 hex 00"),
            "test.image:4: section '.s': bad alignment '24': not a power of "
            "two");
  EXPECT_EQ(ErrorForLine("section .s r align big hex 00"),
            "test.image:4: bad alignment 'big': expected a decimal or 0x hex "
            "number, with an optional k or m suffix");
  EXPECT_EQ(ErrorForLine("section .s r text"),
            "test.image:4: section '.s': 'text' expects one or more \"quoted "
            "strings\"");
  EXPECT_EQ(ErrorForLine("section .s r text hello"),
            "test.image:4: section '.s': expected a \"quoted string\", not "
            "'hello'");
  EXPECT_EQ(ErrorForLine("section .s r hex"),
            "test.image:4: section '.s': 'hex' expects hex bytes such as 90 "
            "c3 or 90c3");
  EXPECT_EQ(ErrorForLine("section .s r hex 90 zz"),
            "test.image:4: section '.s': bad hex bytes 'zz': expected pairs "
            "of hex digits");
  EXPECT_EQ(ErrorForLine("section .s r hex 9"),
            "test.image:4: section '.s': bad hex bytes '9': expected pairs "
            "of hex digits");
  EXPECT_EQ(ErrorForLine("section .s r fill 16"),
            "test.image:4: section '.s': 'fill' expects a size and a byte "
            "value: fill 16 0xcc");
  EXPECT_EQ(ErrorForLine("section .s r fill 16 256"),
            "test.image:4: section '.s': bad fill byte '256': expected 0 to "
            "255");
  EXPECT_EQ(ErrorForLine("section .s r fill 0 1"),
            "test.image:4: section '.s': bad size '0': expected 1 byte to 1 "
            "GiB");
  EXPECT_EQ(ErrorForLine("section .s r zero 16"),
            "test.image:4: section '.s': 'zero' needs access rw (it becomes "
            "NOBITS memory, like .bss)");
  EXPECT_EQ(ErrorForLine("section .s rw zero 16 0"),
            "test.image:4: section '.s': 'zero' expects a size: zero 4096");
  EXPECT_EQ(ErrorForLine("section .s rw bytes 00"),
            "test.image:4: section '.s': bad contents 'bytes': expected text, "
            "hex, fill or zero");
}

TEST(LinkDescriptionTest, RelocationAndDynamicErrors) {
  EXPECT_EQ(ErrorForLine("reloc .data+0"),
            "test.image:4: incomplete 'reloc' line (expected: reloc PLACE "
            "TARGET)");
  EXPECT_EQ(ErrorForLine("reloc +8 .rodata"),
            "test.image:4: bad reference '+8': expected SECTION or "
            "SECTION+OFFSET");
  EXPECT_EQ(ErrorForLine("reloc .data+x .rodata"),
            "test.image:4: bad reference '.data+x': the offset after '+' must "
            "be a number");
  EXPECT_EQ(ErrorForLine("dynamic FROB 1"),
            "test.image:4: bad tag 'FROB': expected a number or a name such "
            "as INIT or GUILE_VM_VERSION");
  EXPECT_EQ(ErrorForLine("dynamic RELA 0"),
            "test.image:4: tag 'RELA' is written by the linker (from the "
            "reloc lines, or to end the table)");
  EXPECT_EQ(ErrorForLine("dynamic INIT 12q"),
            "test.image:4: bad value '12q': expected a decimal or 0x hex "
            "number");
  EXPECT_EQ(ErrorForLine("dynamic INIT 1 2"),
            "test.image:4: unexpected '2' at the end of the 'dynamic' line "
            "(expected: dynamic TAG VALUE)");
}

TEST(LinkDescriptionTest, ReferenceErrorsNameTheLineThatMadeThem) {
  EXPECT_EQ(ErrorForLine("reloc .nowhere+0 .rodata"),
            "test.image:4: '.nowhere+0': no section named '.nowhere'");
  EXPECT_EQ(ErrorForLine("reloc .data+0 .gone"),
            "test.image:4: '.gone': no section named '.gone'");
  EXPECT_EQ(ErrorForLine("reloc .rodata+0 .data"),
            "test.image:4: place '.rodata+0': section '.rodata' must be rw "
            "with file bytes (hex, text or fill) to hold the word");
  EXPECT_EQ(ErrorForLine("reloc .data+12 .rodata"),
            "test.image:4: place '.data+12': the 8-byte word runs past the "
            "end of '.data' (16 bytes)");
  EXPECT_EQ(ErrorForLine("reloc .data+0 .rodata+4"),
            "test.image:4: target '.rodata+4': offset past the end of "
            "'.rodata' (3 bytes)");
  EXPECT_EQ(ErrorForLine("dynamic INIT .code"),
            "test.image:4: '.code': no section named '.code'");
  EXPECT_EQ(ErrorForLine("dynamic INIT .data+17"),
            "test.image:4: address '.data+17': offset past the end of '.data' "
            "(16 bytes)");
  // Checked once the file is read: the variant sets the word size.
  EXPECT_EQ(ErrorFor("reloc .d+4 .d\n"
                     "section .d rw hex 00 00 00 00 00 00\n"
                     "variant elf32-little\n"),
            "test.image:1: place '.d+4': the 4-byte word runs past the end "
            "of '.d' (6 bytes)");
  EXPECT_EQ(ErrorFor("# nothing\nvariant elf64-big\n"),
            "test.image: no sections (add at least one 'section' line)");
}

}  // namespace
}  // namespace granule::cli
