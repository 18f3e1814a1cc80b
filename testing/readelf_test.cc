// The readelf parser on output captured from GNU readelf 2.40, trimmed.
#include "testing/readelf.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace granule::testing {
namespace {

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
  ASSERT_EQ(r.dynamic.size(), 2u);
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
  ASSERT_EQ(r.dynamic.size(), 2u);
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

TEST(ReadelfTest, RunReportsAFileReadelfCannotRead) {
  auto reports = RunReadelf({"/nonexistent/x.go"});
  ASSERT_FALSE(reports.ok());
  EXPECT_THAT(reports.status().message(), HasSubstr("/nonexistent/x.go"));
}

}  // namespace
}  // namespace granule::testing
