// SPDX-License-Identifier: Apache-2.0
// `granule map`: the page cells, conflicts and verdicts of images from
// granule's writer (64 KiB-aligned in both layouts, and the old 4 KiB layout)
// and of a hand-made 4 KiB-aligned image, and the drawings made of them.
#include "cli/map_command.h"

#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "cli/check_command.h"
#include "cli/demo_image.h"
#include "cli/map_drawing.h"
#include "cli/page_map.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loader/elf/elf_format.h"
#include "loader/writer/image_writer.h"
#include "testing/raw_elf.h"
#include "testing/temp_file.h"

namespace granule::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string Repeat(char c, size_t n) { return std::string(n, c); }

// The demo image with 16 KiB of .bss, so the maps show zero-filled memory.
std::string WriteDemo(uint64_t alignment, Layout layout) {
  ImageSpec spec = DemoImageSpec(alignment);
  spec.layout = layout;
  SectionSpec bss{".bss", SectionAccess::kReadWrite};
  bss.zero_size = 16 * 1024;
  spec.sections.push_back(bss);
  const std::string path = granule::testing::TempPath("demo.go");
  EXPECT_TRUE(WriteImage(spec, path).ok());
  return path;
}

// R [0, 0x1000), RX [0x1000, 0x1800), RW [0x2000, 0x2800) + 0x1800 zeros, all
// with p_align 4 KiB: what linkers wrote before the 64 KiB contract. The
// first 1 KiB of RW is PT_GNU_RELRO.
std::string WriteFourKiBImage(uint64_t rw_memsz = 0x2000) {
  granule::testing::RawElf raw;
  raw.variant = {/*is_64=*/true, /*big_endian=*/false};
  const uint32_t r = elf::kPfR, rx = elf::kPfR | elf::kPfX,
                 rw = elf::kPfR | elf::kPfW;
  raw.segments = {
      {0, elf::kPtLoad, r, 0, 0, 0x1000, 0x1000, 0x1000},
      {0, elf::kPtLoad, rx, 0x1000, 0x1000, 0x800, 0x800, 0x1000},
      {0, elf::kPtLoad, rw, 0x2000, 0x2000, 0x800, rw_memsz, 0x1000},
  };
  raw.body.resize(0x2800);
  const uint64_t size = raw.PutDynamic(0x800, {});
  raw.segments.push_back({0, elf::kPtDynamic, r, 0x800, 0x800, size, size, 8});
  raw.segments.push_back(
      {0, elf::kPtGnuRelro, r, 0x2000, 0x2000, 0x400, 0x400, 1});
  absl::StatusOr<std::string> path =
      granule::testing::WriteTempFile("four_kib.elf", raw.Encode());
  EXPECT_TRUE(path.ok()) << path.status();
  return *path;
}

ImageMap MapOf(const std::string& path, const std::string& page_sizes) {
  absl::StatusOr<std::vector<PageSizeChoice>> choices =
      ParsePageSizeList(page_sizes);
  EXPECT_TRUE(choices.ok());
  FileCheck check = CheckFile(path, *choices);
  EXPECT_TRUE(check.error.ok()) << check.error;
  if (!check.elf) return ImageMap();
  return BuildImageMap(*check.elf, *choices, check.verdicts);
}

// All but the first line, which holds only the file's path.
void ExpectNarrow(const std::string& text) {
  for (absl::string_view line :
       absl::StrSplit(text.substr(text.find('\n') + 1), '\n')) {
    EXPECT_LT(line.size(), 100u) << line;
  }
}

// Enough of an XML parser to catch what breaks a document: every tag closed
// in order, attributes quoted, '<' and '&' in text escaped.
bool WellFormedXml(absl::string_view xml, std::string* why) {
  std::vector<std::string> open;
  size_t at = 0;
  if (xml.substr(0, 5) == "<?xml") at = xml.find("?>") + 2;
  while ((at = xml.find_first_of("<&", at)) != absl::string_view::npos) {
    if (xml[at] == '&') {
      const size_t semi = xml.find(';', at);
      const absl::string_view entity = xml.substr(at, semi - at + 1);
      if (entity != "&amp;" && entity != "&lt;" && entity != "&gt;" &&
          entity != "&quot;") {
        *why = "bad entity at " + std::to_string(at);
        return false;
      }
      ++at;
      continue;
    }
    const size_t end = xml.find('>', at);
    if (end == absl::string_view::npos) return (*why = "unclosed tag", false);
    absl::string_view tag = xml.substr(at + 1, end - at - 1);
    if (tag.find('<') != absl::string_view::npos) {
      return (*why = "'<' inside a tag", false);
    }
    if (std::count(tag.begin(), tag.end(), '"') % 2 != 0) {
      return (*why = "odd quotes in <" + std::string(tag) + ">", false);
    }
    const std::string name(tag.substr(0, tag.find_first_of(" /")));
    if (tag.front() == '/') {
      if (open.empty() || open.back() != tag.substr(1)) {
        return (*why = "</" + std::string(tag.substr(1)) + "> out of order",
                false);
      }
      open.pop_back();
    } else if (tag.back() != '/') {
      open.push_back(name);
    }
    at = end + 1;
  }
  if (!open.empty())
    return (*why = "<" + open.back() + "> never closed", false);
  return true;
}

TEST(PageMapTest, WriterImageWithSixtyFourKiBAlignmentSharesNoPage) {
  for (Layout layout : {Layout::kOneToOne, Layout::kCompact}) {
    SCOPED_TRACE(LayoutName(layout));
    const ImageMap map =
        MapOf(WriteDemo(elf::kImageAlignment, layout), "4k,16k,64k");
    ASSERT_EQ(map.bands.size(), 3u);
    for (const PageBand& band : map.bands) {
      SCOPED_TRACE(band.page_size.token);
      EXPECT_TRUE(band.verdict.shared_whole()) << band.verdict.Reason();
      EXPECT_TRUE(band.conflicts.empty());
      EXPECT_EQ(band.cells.find(kCellConflict), std::string::npos)
          << band.cells;
    }
    // Constants and headers, code, then 8 KiB of data and 16 KiB of bss.
    EXPECT_EQ(map.bands[2].cells, "RXW");
    EXPECT_EQ(map.holes.size(), 2u);
  }
}

// The 1:1 layout extends p_filesz over .bss to the next 64 KiB (as a hole in
// the file), so its RW pages are all file pages; the compact layout's .bss is
// zero-filled memory.
TEST(PageMapTest, DemoImagePagesInEachLayout) {
  const ImageMap one_to_one =
      MapOf(WriteDemo(elf::kImageAlignment, Layout::kOneToOne), "4k,16k");
  EXPECT_EQ(one_to_one.bands[0].cells,
            "R" + Repeat('.', 15) + "X" + Repeat('.', 15) + "WWWWWW");
  EXPECT_EQ(one_to_one.bands[1].cells, "R...X...WW");
  const ImageMap compact =
      MapOf(WriteDemo(elf::kImageAlignment, Layout::kCompact), "4k");
  const std::string& cells = compact.bands[0].cells;
  EXPECT_EQ(cells.substr(cells.size() - 6), "WWzzzz") << cells;
}

TEST(PageMapTest, OldFourKiBWriterLayoutConflictsOnLargerPages) {
  const ImageMap map = MapOf(WriteDemo(4096, Layout::kOneToOne), "4k,16k,64k");
  EXPECT_TRUE(map.bands[0].conflicts.empty()) << map.bands[0].cells;
  EXPECT_TRUE(map.bands[0].verdict.shared_whole())
      << map.bands[0].verdict.Reason();
  for (int i : {1, 2}) {
    SCOPED_TRACE(map.bands[i].page_size.token);
    EXPECT_FALSE(map.bands[i].conflicts.empty()) << map.bands[i].cells;
    EXPECT_FALSE(map.bands[i].verdict.shared_whole());
  }
}

TEST(PageMapTest, FourKiBAlignedImageConflictsOnLargerPagesOnly) {
  const ImageMap map = MapOf(WriteFourKiBImage(), "4k,16k,64k,4k/64k");
  ASSERT_EQ(map.bands.size(), 4u);
  EXPECT_EQ(map.bands[0].cells, "RXWz");
  EXPECT_TRUE(map.bands[0].conflicts.empty());
  EXPECT_TRUE(map.bands[0].verdict.shared_whole())
      << map.bands[0].verdict.Reason();
  for (int i : {1, 2}) {
    const PageBand& band = map.bands[i];
    SCOPED_TRACE(band.page_size.token);
    EXPECT_EQ(band.cells, "!");
    ASSERT_EQ(band.conflicts.size(), 1u);
    EXPECT_EQ(band.conflicts[0].start, 0u);
    EXPECT_EQ(band.conflicts[0].end, band.page_bytes());
    EXPECT_EQ(band.conflicts[0].segment_indexes, (std::vector<int>{0, 1, 2}));
    EXPECT_FALSE(band.verdict.shared_whole());
  }
  // Windows' 4 KiB pages protect each segment alone; the verdict is the
  // 64 KiB granularity's.
  EXPECT_TRUE(map.bands[3].conflicts.empty());
}

TEST(MapTextTest, MarksTheSharedPageOnSixtyFourKiBPagesOnly) {
  const std::string text = DrawMapText(MapOf(WriteFourKiBImage(), "4k,64k"));
  ExpectNarrow(text);
  EXPECT_THAT(text, HasSubstr("\n  0     LOAD        R      0x00000..0x01000 "
                              "      0x00000..0x01000       4 KiB\n"));
  EXPECT_THAT(text, HasSubstr("\n  3       DYNAMIC   R      0x00800..0x00810"));
  EXPECT_THAT(text, HasSubstr("\n        (hole)             0x01800..0x02000 "
                              "                             2 KiB unused\n"));
  EXPECT_THAT(text, HasSubstr("0x02000..0x02800       2 KiB + 6 KiB zero\n"
                              "  4       GNU_RELRO R      0x02000..0x02400 "));
  EXPECT_THAT(text, HasSubstr("\n4k: page 4 KiB, allocation granularity 4 KiB; "
                              "4 pages, none shared by two protections\n"
                              "  0x00000 |RXWz\n"
                              "  verdict: shared path"));
  EXPECT_THAT(text, HasSubstr("\n64k: page 64 KiB, allocation granularity 64 "
                              "KiB; 1 page, 1 shared by two protections\n"
                              "  0x00000 !\n"
                              "  ! page 0x00000..0x10000 shared by phdr 0 R, "
                              "phdr 1 RX, phdr 2 RW\n"
                              "  verdict: malloc path: "));
}

TEST(MapTextTest, SixtyFourKiBImageHasBoundaryMarksAndNoConflict) {
  const std::string text = DrawMapText(
      MapOf(WriteDemo(elf::kImageAlignment, Layout::kOneToOne), "4k,16k,64k"));
  ExpectNarrow(text);
  EXPECT_THAT(text, HasSubstr("  0x00000 |R...............|X..............."
                              "|WWWWWW\n"));
  EXPECT_THAT(text, HasSubstr("  0x00000 |R...|X...|WW\n"));
  EXPECT_THAT(text, HasSubstr("  0x00000 RXW\n"));
  EXPECT_THAT(text, Not(HasSubstr("  ! page")));
  EXPECT_THAT(text, Not(HasSubstr("malloc path")));
}

// A band drawn from cells alone, to reach the elisions without large files.
ImageMap SyntheticMap(std::string cells) {
  ImageMap map;
  map.path = "synthetic";
  map.end = cells.size() * 4096;
  absl::StatusOr<PageSizeChoice> four_kib = ParsePageSizeToken("4k");
  LoadVerdict shared;
  shared.geometry = four_kib->geometry;
  map.bands.push_back({*four_kib, shared, 0, std::move(cells), {}});
  return map;
}

TEST(MapTextTest, RepeatedRowsAreDrawnOnce) {
  const std::string text =
      DrawMapText(SyntheticMap("R" + Repeat('W', 63) + Repeat('z', 64 * 20)));
  ExpectNarrow(text);
  EXPECT_THAT(text, HasSubstr("  0x000000 |R" + Repeat('W', 15) + "|" +
                              Repeat('W', 16) + "|" + Repeat('W', 16) + "|" +
                              Repeat('W', 16) + "|\n"));
  EXPECT_THAT(text, HasSubstr("  0x040000 |" + Repeat('z', 16) + "|"));
  EXPECT_THAT(text, HasSubstr("\n           (19 more rows the same)\n"));
  EXPECT_THAT(text, Not(HasSubstr("0x080000")));
}

TEST(MapTextTest, LongVariedRangesAreCapped) {
  std::string cells;
  for (int i = 0; i < 64 * 40; ++i) cells += i % 2 ? 'R' : '.';
  const std::string text = DrawMapText(SyntheticMap(cells));
  ExpectNarrow(text);
  EXPECT_THAT(text, HasSubstr("  0x3c0000 "));  // Row 16 of 40 is the last.
  EXPECT_THAT(text, Not(HasSubstr("  0x400000 ")));
  EXPECT_THAT(text, HasSubstr("  ... 1536 more pages, to 0xa00000\n"));
}

TEST(MapSvgTest, IsWellFormedAndHighlightsEachConflict) {
  ImageMap map = MapOf(WriteFourKiBImage(), "4k,16k,64k");
  map.path = "odd <name> & \"quotes\"";
  const std::string svg = DrawMapSvg(map);
  std::string why;
  EXPECT_TRUE(WellFormedXml(svg, &why)) << why << "\n" << svg;
  EXPECT_THAT(svg, HasSubstr("odd &lt;name&gt; &amp; &quot;quotes&quot;"));
  std::vector<absl::string_view> bands =
      absl::StrSplit(svg, "<g class=\"band\">");
  EXPECT_EQ(bands.size() - 1, 3u);
  // One red rect per conflicting page: none on 4k, one each on 16k, 64k.
  std::vector<absl::string_view> red =
      absl::StrSplit(svg, "stroke=\"#e31a1c\"");
  EXPECT_EQ(red.size() - 1, 2u);
  EXPECT_THAT(svg, HasSubstr(">phdr 2 RW</text>"));
}

TEST(MapSvgTest, TheWellFormednessCheckCatchesBrokenDocuments) {
  std::string why;
  EXPECT_FALSE(WellFormedXml("<svg><g></svg></g>", &why));
  EXPECT_FALSE(WellFormedXml("<svg><text>a & b</text></svg>", &why));
  EXPECT_FALSE(WellFormedXml("<svg><text>a < b</text></svg>", &why));
  EXPECT_FALSE(WellFormedXml("<svg x=\"1/>", &why));
  EXPECT_TRUE(WellFormedXml("<svg><g/><text>a &amp; b</text></svg>", &why))
      << why;
}

TEST(MapJsonTest, CarriesCellsConflictsAndVerdicts) {
  const std::string json = MapJson(MapOf(WriteFourKiBImage(), "4k,64k"));
  EXPECT_THAT(json, HasSubstr("\"token\":\"4k\",\"page_size\":4096,"
                              "\"allocation_granularity\":4096,\"load_path\":"
                              "\"shared\",\"reason\":\"\","
                              "\"route\":\"shared\""));
  EXPECT_THAT(json, HasSubstr("\"allocation_granularity\":65536,\"load_path\":"
                              "\"malloc\",\"reason\":\"page size 64 KiB"));
  EXPECT_THAT(json, HasSubstr("\"route\":\"copy\",\"first_page\""));
  EXPECT_THAT(json, HasSubstr("\"cells\":\"RXWz\",\"conflicts\":[]"));
  EXPECT_THAT(json, HasSubstr("\"cells\":\"!\",\"conflicts\":[{\"start\":"
                              "\"0x0\",\"end\":\"0x10000\",\"segments\":"
                              "[0,1,2]}]"));
}

TEST(RunMapTest, DrawsTextSvgOrJson) {
  const std::string path = WriteFourKiBImage();
  CommandResult text = RunMap({path}, kDefaultMapPageSizes, MapFormat::kText);
  EXPECT_EQ(text.exit_code, kExitOk);
  EXPECT_THAT(text.report, HasSubstr("\n16k: page 16 KiB"));
  CommandResult svg = RunMap({path}, "64k", MapFormat::kSvg);
  EXPECT_EQ(svg.exit_code, kExitOk);
  EXPECT_THAT(svg.report, HasSubstr("<svg xmlns"));
  CommandResult json = RunMap({path}, "64k", MapFormat::kJson);
  EXPECT_EQ(json.exit_code, kExitOk);
  EXPECT_EQ(json.report.front(), '{');
}

TEST(RunMapTest, ErrorsNameTheFileOrTheArgument) {
  const std::string missing = granule::testing::TempPath("missing.go");
  CommandResult result = RunMap({missing}, "4k", MapFormat::kText);
  EXPECT_EQ(result.exit_code, kExitFailed);
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_THAT(result.errors[0], HasSubstr(missing));
  EXPECT_TRUE(result.report.empty());

  absl::StatusOr<std::string> text = granule::testing::WriteTempFile(
      "notes.txt", std::vector<uint8_t>(64, 'a'));
  ASSERT_TRUE(text.ok());
  result = RunMap({*text}, "4k", MapFormat::kSvg);
  EXPECT_EQ(result.exit_code, kExitFailed);
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_THAT(result.errors[0], HasSubstr(*text + ": not an ELF file"));

  result = RunMap({*text}, "4k,3k", MapFormat::kText);
  EXPECT_EQ(result.exit_code, kExitUsage);
  EXPECT_THAT(result.errors[0], HasSubstr("page size '3k'"));
  EXPECT_EQ(RunMap({}, "4k", MapFormat::kText).exit_code, kExitUsage);
  EXPECT_EQ(RunMap({*text, *text}, "4k", MapFormat::kText).exit_code,
            kExitUsage);
}

TEST(RunMapTest, RefusesMorePagesThanItCanDraw) {
  const std::string path = WriteFourKiBImage(/*rw_memsz=*/512 << 20);
  // 4 KiB pages: 128 Ki of them, under the cap; 1 KiB pages: 512 Ki, over.
  EXPECT_EQ(RunMap({path}, "64k,4k", MapFormat::kText).exit_code, kExitOk);
  CommandResult result = RunMap({path}, "4k,1k", MapFormat::kText);
  EXPECT_EQ(result.exit_code, kExitUsage);
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_THAT(result.errors[0], HasSubstr("page size '1k' cuts " + path));
  EXPECT_TRUE(result.report.empty());
}

}  // namespace
}  // namespace granule::cli
