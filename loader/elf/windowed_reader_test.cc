// SPDX-License-Identifier: Apache-2.0
// The reader's system calls: the headers of a typical image take two reads
// (the head, then the section tables), and the window never reads outside the
// file or serves bytes it did not read.
#include "loader/elf/windowed_reader.h"

#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "loader/elf/elf_format.h"
#include "testing/raw_elf.h"

namespace granule {
namespace internal {
namespace {

using ::granule::testing::RawElf;
using ::granule::testing::TwoSegmentImage;

struct Read {
  uint64_t offset;
  size_t length;
};

// Serves reads from `bytes`, recording each; a read outside fails.
ReadAtFunction RecordingReader(const std::vector<uint8_t>& bytes,
                               std::vector<Read>& reads) {
  return [&bytes, &reads](uint64_t offset, absl::Span<uint8_t> out) {
    reads.push_back({offset, out.size()});
    if (offset > bytes.size() || out.size() > bytes.size() - offset) {
      return absl::OutOfRangeError("read past the end");
    }
    std::copy(bytes.begin() + offset, bytes.begin() + offset + out.size(),
              out.begin());
    return absl::OkStatus();
  };
}

std::vector<uint8_t> Numbered(size_t size) {
  std::vector<uint8_t> bytes(size);
  for (size_t i = 0; i < size; ++i) bytes[i] = static_cast<uint8_t>(i * 7);
  return bytes;
}

TEST(WindowedReaderTest, ServesReadsInsideTheWindowWithoutReading) {
  const std::vector<uint8_t> file = Numbered(10000);
  std::vector<Read> reads;
  WindowedReader reader(file.size(), RecordingReader(file, reads));
  uint8_t out[16];
  ASSERT_TRUE(reader.ReadAt(100, absl::MakeSpan(out), 50, 1000).ok());
  ASSERT_EQ(reads.size(), 1u);
  EXPECT_EQ(reads[0].offset, 50u);
  EXPECT_EQ(reads[0].length, 50u + 16 + 1000);
  for (uint64_t offset : {50u, 100u, 1100u}) {  // First, middle, last bytes.
    ASSERT_TRUE(reader.ReadAt(offset, absl::MakeSpan(out)).ok());
    EXPECT_EQ(out[0], file[offset]) << offset;
    EXPECT_EQ(out[15], file[offset + 15]) << offset;
  }
  EXPECT_EQ(reader.reads(), 1);
  ASSERT_TRUE(reader.ReadAt(1101, absl::MakeSpan(out)).ok());  // One past.
  EXPECT_EQ(reader.reads(), 2);
  EXPECT_EQ(out[15], file[1116]);
}

TEST(WindowedReaderTest, NeverReadsOutsideTheFile) {
  const std::vector<uint8_t> file = Numbered(3000);
  std::vector<Read> reads;
  WindowedReader reader(file.size(), RecordingReader(file, reads));
  uint8_t out[100];
  ASSERT_TRUE(reader.ReadAt(10, absl::MakeSpan(out), 4096, 4096).ok());
  ASSERT_TRUE(reader.ReadAt(2900, absl::MakeSpan(out), 0, 4096).ok());
  ASSERT_EQ(reads.size(), 1u);  // The first read took the whole file.
  EXPECT_EQ(reads[0].offset, 0u);
  EXPECT_EQ(reads[0].length, 3000u);
  EXPECT_EQ(out[99], file[2999]);
}

TEST(WindowedReaderTest, AFailedReadIsReportedAndNotKept) {
  const std::vector<uint8_t> file = Numbered(1000);
  int calls = 0;
  WindowedReader reader(file.size(), [&](uint64_t, absl::Span<uint8_t>) {
    return ++calls == 1 ? absl::DataLossError("disk") : absl::OkStatus();
  });
  uint8_t out[8];
  EXPECT_EQ(reader.ReadAt(0, absl::MakeSpan(out), 0, 500).code(),
            absl::StatusCode::kDataLoss);
  EXPECT_TRUE(reader.ReadAt(0, absl::MakeSpan(out)).ok());
  EXPECT_EQ(calls, 2);  // Nothing was served from the failed read.
}

// Windows above the reader's own buffer go to the heap and back; every view
// shows the file's bytes, whichever buffer holds them.
TEST(WindowedReaderTest, ViewsShowTheFilesBytesInEitherBuffer) {
  const std::vector<uint8_t> file = Numbered(3 * WindowedReader::kInlineBytes);
  std::vector<Read> reads;
  WindowedReader reader(file.size(), RecordingReader(file, reads));
  auto expect_file_bytes = [&](uint64_t offset, uint64_t size) {
    absl::StatusOr<absl::Span<const uint8_t>> view = reader.View(offset, size);
    ASSERT_TRUE(view.ok()) << view.status();
    ASSERT_EQ(view->size(), size);
    for (uint64_t i = 0; i < size; ++i) {
      ASSERT_EQ((*view)[i], file[offset + i]) << "at " << offset + i;
    }
  };
  const uint64_t large = 2 * WindowedReader::kInlineBytes;
  expect_file_bytes(100, large);  // Heap.
  expect_file_bytes(200, 10);     // Inside it: no read.
  EXPECT_EQ(reader.reads(), 1);
  expect_file_bytes(large + 1000, 64);  // Outside: the reader's own buffer.
  expect_file_bytes(0, large + 5);      // Heap again, grown.
  expect_file_bytes(7, 9);
  EXPECT_EQ(reader.reads(), 3);
  ASSERT_EQ(reads.size(), 3u);
  EXPECT_EQ(reads[1].offset, large + 1000);
  EXPECT_EQ(reads[2].length, large + 5);
}

class ElfReadsTest : public ::testing::TestWithParam<ElfVariant> {};

// Two reads: the head (ELF header, program headers, dynamic table at 0x800)
// and the tail (section names just before the section headers, as granule's
// writer lays them out). Six before the window.
TEST_P(ElfReadsTest, ATypicalImageTakesTwoReads) {
  const RawElf elf = TwoSegmentImage(GetParam(), {{elf::kDtGuileEntry, 0x100}});
  const std::vector<uint8_t> bytes = elf.Encode();
  std::vector<Read> reads;
  absl::StatusOr<ElfImage> image =
      ReadElfImageWith("typical", bytes.size(), RecordingReader(bytes, reads));
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ(reads.size(), 2u);
  EXPECT_EQ(reads[0].offset, 0u);
  ASSERT_EQ(image->segments.size(), 3u);
  ASSERT_EQ(image->dynamic.size(), 1u);
  EXPECT_EQ(image->dynamic[0].value, 0x100u);
  ASSERT_EQ(image->sections.size(), 5u);  // Null, three, .shstrtab.
  EXPECT_EQ(image->sections[1].name, ".rodata");
  EXPECT_EQ(image->sections[4].name, ".shstrtab");
}

// A dynamic table beyond the head costs one read of its own, no more.
TEST_P(ElfReadsTest, ADynamicTablePastTheHeadTakesOneMoreRead) {
  RawElf elf = TwoSegmentImage(GetParam(), {});
  elf.segments[0].filesz = elf.segments[0].memsz = 0x4000;
  const uint64_t size = elf.PutDynamic(0x3000, {{elf::kDtGuileEntry, 0x200}});
  elf.segments[2].offset = elf.segments[2].vaddr = 0x3000;
  elf.segments[2].filesz = elf.segments[2].memsz = size;
  elf.sections[1].offset = elf.sections[1].addr = 0x3000;
  elf.sections[1].size = size;
  const std::vector<uint8_t> bytes = elf.Encode();
  std::vector<Read> reads;
  absl::StatusOr<ElfImage> image =
      ReadElfImageWith("far", bytes.size(), RecordingReader(bytes, reads));
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ(reads.size(), 3u);
  ASSERT_EQ(image->dynamic.size(), 1u);
  EXPECT_EQ(image->dynamic[0].value, 0x200u);
}

// Without the section table the head is the only read, and nothing of the
// table is kept or judged: a section header table past the end of the file
// (refused when read) does not matter.
TEST_P(ElfReadsTest, SkippingTheSectionTableLeavesOneRead) {
  RawElf elf = TwoSegmentImage(GetParam(), {{elf::kDtGuileEntry, 0x100}});
  const std::vector<uint8_t> good = elf.Encode();
  std::vector<Read> reads;
  absl::StatusOr<ElfImage> image =
      ReadElfImageWith("typical", good.size(), RecordingReader(good, reads),
                       /*accept_fixed_address=*/false, SectionTable::kSkip);
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ(reads.size(), 1u);
  EXPECT_FALSE(image->section_table_read);
  EXPECT_TRUE(image->sections.empty());
  ASSERT_EQ(image->dynamic.size(), 1u);
  EXPECT_EQ(image->dynamic[0].value, 0x100u);

  elf.sections[1].offset = good.size() * 2;  // Past the end of the file.
  const std::vector<uint8_t> bad = elf.Encode();
  reads.clear();
  EXPECT_FALSE(
      ReadElfImageWith("bad", bad.size(), RecordingReader(bad, reads)).ok());
  reads.clear();
  EXPECT_TRUE(ReadElfImageWith("bad", bad.size(), RecordingReader(bad, reads),
                               false, SectionTable::kSkip)
                  .ok());
}

INSTANTIATE_TEST_SUITE_P(AllVariants, ElfReadsTest,
                         ::testing::ValuesIn(kAllVariants));

}  // namespace
}  // namespace internal
}  // namespace granule
