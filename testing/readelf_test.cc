// SPDX-License-Identifier: Apache-2.0
// The readelf parser on output captured from GNU readelf 2.40, trimmed.
#include "testing/readelf.h"

#include <string>
#include <utility>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace granule::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kGuileFile[] = R"(ELF Header:
  Magic:   7f 45 4c 46 02 01 01 ff 00 00 00 00 00 00 00 00 
  Class:                             ELF64
  Type:                              DYN (Shared object file)
  Machine:                           None
  Entry point address:               0x0
  Number of program headers:         3

Program Headers:
  Type           Offset   VirtAddr           PhysAddr           FileSiz  MemSiz   Flg Align
  LOAD           0x000000 0x0000000000000000 0x0000000000000000 0x0043a8 0x0043a8 R   0x10000
  LOAD           0x010000 0x0000000000010000 0x0000000000010000 0x001200 0x001200 RW  0x10000
  DYNAMIC        0x004338 0x0000000000004338 0x0000000000004338 0x000070 0x000070 R   0x8

 Section to Segment mapping:
  Segment Sections...
   00     .rodata .rtl-text .guile.frame-maps .dynamic  

Dynamic section at offset 0x4338 contains 3 entries:
  Tag        Type                         Name/Value
 0x0000000037146003 (<unknown>: 37146003) 0x3000006
 0x000000000000000c (INIT)               0x25d4
 0x0000000000000000 (NULL)               0x0
)";

constexpr char kTwoFiles[] = R"(
File: /a.go
ELF Header:
  Magic:   7f 45 4c 46 02 01 01 ff 00 00 00 00 00 00 00 00 
  Number of program headers:         0

File: /bin/true
ELF Header:
  Magic:   7f 45 4c 46 02 01 01 00 00 00 00 00 00 00 00 00 
  Type:                              DYN (Position-Independent Executable file)
  Machine:                           Advanced Micro Devices X86-64
  Entry point address:               0x23d0
  Number of program headers:         2

Program Headers:
  Type           Offset   VirtAddr           PhysAddr           FileSiz  MemSiz   Flg Align
  INTERP         0x000318 0x0000000000000318 0x0000000000000318 0x00001c 0x00001c R   0x1
      [Requesting program interpreter: /lib64/ld-linux-x86-64.so.2]
  LOAD           0x002000 0x0000000000002000 0x0000000000002000 0x003d59 0x003d59 R E 0x1000

Dynamic section at offset 0x7dd8 contains 4 entries:
  Tag        Type                         Name/Value
 0x0000000000000001 (NEEDED)             Shared library: [libc.so.6]
 0x000000000000001b (INIT_ARRAYSZ)       8 (bytes)
 0x0000000000000000 (NULL)               0x0
 0x0000000000000000 (NULL)               0x0
)";

// A writer image with both relocation formats, an unnamed section and a name
// longer than readelf's column; "Section to Segment mapping" left out.
constexpr char kImageFile[] = R"(ELF Header:
  Magic:   7f 45 4c 46 02 01 01 ff 00 00 00 00 00 00 00 00 
  Class:                             ELF64
  Version:                           1 (current)
  Type:                              DYN (Shared object file)
  Machine:                           Advanced Micro Devices X86-64
  Version:                           0x1
  Entry point address:               0x0
  Number of program headers:         2
  Number of section headers:         5

Section Headers:
  [Nr] Name              Type            Address          Off    Size   ES Flg Lk Inf Al
  [ 0]                   NULL            0000000000000000 000000 000000 00      0   0  0
  [ 1] .guile.arities.strtab STRTAB          0000000000000000 0ece30 000ed3 00      9   2  8
  [ 2]                   PROGBITS        0000000000000000 000000 0000e8 00   A  0   0  8
  [ 3] .rela.dyn         RELA            0000000000000188 000188 000048 18   A  0   0  8
  [ 4] .relr.dyn         RELR            00000000000014a8 0014a8 000010 08   A  0   0  8
Key to Flags:
  W (write), A (alloc), X (execute), M (merge), S (strings), I (info),
  D (mbind), l (large), p (processor specific)

Program Headers:
  Type           Offset   VirtAddr           PhysAddr           FileSiz  MemSiz   Flg Align
  LOAD           0x020000 0x0000000000020000 0x0000000000020000 0x008ca0 0x008ca0 RW  0x10000
  GNU_STACK      0x000000 0x0000000000000000 0x0000000000000000 0x000000 0x000000     0x10

Dynamic section at offset 0x14e8 contains 3 entries:
  Tag        Type                         Name/Value
 0x0000000000000024 (RELR)               0x14a8
 0x0000000000000023 (RELRSZ)             16 (bytes)
 0x0000000000000000 (NULL)               0x0

Relocation section '.rela.dyn' at offset 0x188 contains 3 entries:
    Offset             Info             Type               Symbol's Value  Symbol's Name + Addend
0000000000020008  0000000000000001 unrecognized: 1                          10000
0000000000008fb8  0000000200000006 R_X86_64_GLOB_DAT      0000000000000000 f@GLIBC_2.34 - 8
00000000000206b0  0000000000000008 R_X86_64_RELATIVE                         206b0

Relocation section '.relr.dyn' at offset 0x14a8 contains 2 entries:
  3 offsets
0000000000020000
0000000000020008
00000000000201f8
)";

TEST(ReadelfTest, ParsesOneFileWithoutHeader) {
  auto reports = ParseReadelfOutput(kGuileFile, {"/q.go"});
  ASSERT_TRUE(reports.ok()) << reports.status();
  const ReadelfReport& r = reports->at("/q.go");
  EXPECT_EQ(r.ident[7], 0xff);
  EXPECT_EQ(r.type, "DYN");
  EXPECT_EQ(r.machine, "None");
  ASSERT_EQ(r.segments.size(), 3u);
  EXPECT_EQ(r.segments[1].type, 1u);
  EXPECT_EQ(r.segments[1].offset, 0x10000u);
  EXPECT_EQ(r.segments[1].vaddr, 0x10000u);
  EXPECT_EQ(r.segments[1].filesz, 0x1200u);
  EXPECT_EQ(r.segments[1].flags, 6u);
  EXPECT_EQ(r.segments[1].align, 0x10000u);
  EXPECT_EQ(r.segments[2].type, 2u);
  ASSERT_EQ(r.dynamic.size(), 3u);
  EXPECT_EQ(r.dynamic[2], (ReadelfDynamic{0, 0}));
  EXPECT_EQ(r.DynamicBeforeNull().size(), 2u);
  EXPECT_EQ(r.dynamic[0].tag, 0x37146003);
  EXPECT_EQ(r.dynamic[0].value, 0x3000006u);
  EXPECT_EQ(r.dynamic[1].tag, 12);
  EXPECT_EQ(r.dynamic[1].value, 0x25d4u);
}

TEST(ReadelfTest, SplitsFilesAndReadsOtherValueForms) {
  auto reports = ParseReadelfOutput(kTwoFiles, {"/a.go", "/bin/true"});
  ASSERT_TRUE(reports.ok()) << reports.status();
  EXPECT_TRUE(reports->at("/a.go").segments.empty());
  const ReadelfReport& r = reports->at("/bin/true");
  EXPECT_EQ(r.entry, 0x23d0u);
  ASSERT_EQ(r.segments.size(), 2u);
  EXPECT_EQ(r.segments[0].type, 3u);
  EXPECT_EQ(r.segments[1].flags, 5u);  // "R E".
  ASSERT_EQ(r.dynamic.size(), 4u);
  EXPECT_EQ(r.DynamicBeforeNull().size(), 2u);  // Not the second DT_NULL.
  EXPECT_FALSE(r.dynamic[0].value.has_value());
  EXPECT_EQ(r.dynamic[1].value, 8u);
}

TEST(ReadelfTest, CountsCatchSkippedLines) {
  std::string output = kGuileFile;
  output.erase(output.find("  DYNAMIC "),
               output.find("\n\n Section") - output.find("  DYNAMIC ") + 1);
  auto reports = ParseReadelfOutput(output, {"/q.go"});
  ASSERT_FALSE(reports.ok());
  EXPECT_THAT(reports.status().message(),
              HasSubstr("/q.go: 3 program headers announced, 2 parsed"));
}

TEST(ReadelfTest, UnexpectedFileHeaderIsAnError) {
  auto reports = ParseReadelfOutput(kTwoFiles, {"/a.go", "/b.go"});
  ASSERT_FALSE(reports.ok());
  EXPECT_THAT(reports.status().message(), HasSubstr("File: /bin/true"));
}

TEST(ReadelfTest, ParsesHeaderSectionsAndRelocations) {
  auto reports = ParseReadelfOutput(kImageFile, {"/i.go"});
  ASSERT_TRUE(reports.ok()) << reports.status();
  const ReadelfReport& r = reports->at("/i.go");
  EXPECT_EQ(r.Header("Version"), "1 (current)");
  EXPECT_EQ(r.Header("Version", 1), "0x1");
  EXPECT_EQ(r.Header("Version", 2), "(missing Version)");
  EXPECT_EQ(r.Header("Class"), "ELF64");
  EXPECT_EQ(r.machine, "Advanced Micro Devices X86-64");
  EXPECT_THAT(r.output, HasSubstr("Magic:   7f 45 4c 46 02 01 01 ff"));
  ASSERT_EQ(r.sections.size(), 5u);
  EXPECT_EQ(r.sections[0].name, "");
  EXPECT_EQ(r.sections[0].type, "NULL");
  EXPECT_EQ(r.sections[0].flags, "");
  const ReadelfSection& arities = r.sections[1];
  EXPECT_EQ(arities.name, ".guile.arities.strtab");
  EXPECT_EQ(arities.type, "STRTAB");
  EXPECT_EQ(arities.offset, 0xece30u);
  EXPECT_EQ(arities.size, 0xed3u);
  EXPECT_EQ(arities.flags, "");
  EXPECT_EQ(arities.link, 9u);
  EXPECT_EQ(arities.info, 2u);
  EXPECT_EQ(arities.align, 8u);
  EXPECT_EQ(r.sections[2].name, "");
  EXPECT_EQ(r.sections[2].type, "PROGBITS");
  EXPECT_EQ(r.sections[2].flags, "A");
  EXPECT_EQ(r.sections[3].addr, 0x188u);
  EXPECT_EQ(r.sections[3].entsize, 0x18u);
  ASSERT_EQ(r.segments.size(), 2u);
  EXPECT_EQ(r.segments[1].type, 0x6474e551u);
  EXPECT_EQ(r.segments[1].flags, 0u);
  EXPECT_EQ(r.segments[1].align, 0x10u);
  EXPECT_EQ(r.dynamic[1], (ReadelfDynamic{35, 16}));
  EXPECT_THAT(r.relocation_sections, ElementsAre(".rela.dyn", ".relr.dyn"));
  ASSERT_EQ(r.relocations.size(), 3u);
  EXPECT_EQ(r.relocations[0].offset, 0x20008u);
  EXPECT_EQ(r.relocations[0].info, 1u);
  EXPECT_EQ(r.relocations[0].type, "unrecognized:");
  EXPECT_EQ(r.relocations[0].addend, 0x10000u);
  EXPECT_EQ(r.relocations[1].info, 0x200000006u);
  EXPECT_EQ(r.relocations[1].type, "R_X86_64_GLOB_DAT");
  EXPECT_EQ(r.relocations[1].addend, ~uint64_t{0} - 7);  // -8.
  EXPECT_EQ(r.relocations[2].addend, 0x206b0u);
  EXPECT_THAT(r.relr_offsets, ElementsAre(0x20000u, 0x20008u, 0x201f8u));
}

// The error for kImageFile without the first line that contains `text`, as
// a parser that skipped the line would see the output.
std::string ErrorWithoutLine(const std::string& text) {
  std::string output = kImageFile;
  const size_t at = output.rfind('\n', output.find(text)) + 1;
  output.erase(at, output.find('\n', at) + 1 - at);
  auto reports = ParseReadelfOutput(output, {"/i.go"});
  return reports.ok() ? "no error" : std::string(reports.status().message());
}

TEST(ReadelfTest, CountsCatchSkippedRowsInEveryTable) {
  EXPECT_THAT(ErrorWithoutLine("[ 2]"),
              HasSubstr("/i.go: section [3] where [2] was due"));
  EXPECT_THAT(ErrorWithoutLine("[ 4]"),
              HasSubstr("/i.go: 5 section headers announced, 4 parsed"));
  EXPECT_THAT(ErrorWithoutLine("GNU_STACK"),
              HasSubstr("/i.go: 2 program headers announced, 1 parsed"));
  EXPECT_THAT(ErrorWithoutLine("(RELRSZ)"),
              HasSubstr("/i.go: 3 dynamic entries announced, 2 parsed"));
  EXPECT_THAT(
      ErrorWithoutLine("R_X86_64_GLOB_DAT"),
      HasSubstr("/i.go: 3 relocations in '.rela.dyn' announced, 2 parsed"));
  EXPECT_THAT(
      ErrorWithoutLine("00000000000201f8"),
      HasSubstr("/i.go: 3 RELR offsets in '.relr.dyn' announced, 2 parsed"));
}

// Without its column titles a table's first row is read as the titles.
TEST(ReadelfTest, MalformedRowsAndMissingTitlesAreErrors) {
  EXPECT_THAT(ErrorWithoutLine("Flg Lk Inf Al"),
              HasSubstr("cannot parse \"[ 0]"));
  EXPECT_THAT(ErrorWithoutLine("Symbol's Name + Addend"),
              HasSubstr("cannot parse \"0000000000020008"));
  EXPECT_THAT(ErrorWithoutLine("3 offsets"),
              HasSubstr("cannot parse \"0000000000020000\""));
}

TEST(ReadelfTest, TableWithoutColumnTitlesIsAnError) {
  auto reports = ParseReadelfOutput(
      "ELF Header:\n  Magic:   7f 45 4c 46 02 01 01 00 00 00 00 00 00 00 00 00"
      "\n\nProgram Headers:\n\n",
      {"/t.go"});
  ASSERT_FALSE(reports.ok());
  EXPECT_THAT(std::string(reports.status().message()),
              HasSubstr("/t.go: no \"Type \""));
}

// readelf on this test's own executable: a real file with many sections,
// named relocations and dynamic values readelf prints as words.
TEST(ReadelfTest, RunOnFileParsesARealExecutable) {
  absl::StatusOr<ReadelfReport> r = RunReadelfOnFile("/proc/self/exe");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->path, "/proc/self/exe");
  EXPECT_EQ(r->ident[0], 0x7f);
  EXPECT_GT(r->sections.size(), 10u);
  EXPECT_EQ(r->sections[0].type, "NULL");
  EXPECT_FALSE(r->segments.empty());
  EXPECT_FALSE(r->dynamic.empty());
  EXPECT_FALSE(r->relocation_sections.empty());
  EXPECT_THAT(r->output, HasSubstr("Section Headers:"));
}

TEST(ReadelfTest, RunReportsAFileReadelfCannotRead) {
  auto reports = RunReadelf({"/nonexistent/x.go"});
  ASSERT_FALSE(reports.ok());
  EXPECT_THAT(reports.status().message(), HasSubstr("/nonexistent/x.go"));
}

}  // namespace
}  // namespace granule::testing
