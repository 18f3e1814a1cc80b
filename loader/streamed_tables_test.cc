// SPDX-License-Identifier: Apache-2.0
// A load reads a large relocation table in a read-only segment from the file
// a chunk at a time, not through its mapping: the chunks are whole entries
// in order with the bytes the mapping holds, an entry's error names its
// index however far into the table it is, and a file that shrinks under the
// read is an error naming it. Small tables, and loads that mapped no file,
// are read in place.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loader/elf/elf_image.h"
#include "loader/loaded_image.h"
#include "loader/relocation_tables.h"
#include "loader/relocator.h"
#include "loader/writer/image_writer.h"
#include "platform/file.h"
#include "platform/memory/simulated_machines.h"
#include "testing/fault_injecting_backend.h"
#include "testing/temp_file.h"

namespace granule {
namespace {

using ::testing::HasSubstr;

constexpr uint64_t kStride = 64;  // Bytes of .data per relocated word.
constexpr uint64_t kEntry = 24;   // An ELF64 RELA entry.

// An x86-64 image with `count` RELA relocations, one every kStride bytes of
// .data, each pointing into .rodata.
std::string WriteImage(uint64_t count, const std::string& stem) {
  ImageSpec spec;
  spec.machine = elf::kMachineX86_64;
  spec.relocation_format = RelocationFormat::kRela;
  spec.sections = {
      {".rodata", SectionAccess::kRead, 16,
       granule::testing::PatternBytes(4096, 5), 0},
      {".data", SectionAccess::kReadWrite, 4096,
       std::vector<uint8_t>(count * kStride, 0), 0},
  };
  for (uint64_t i = 0; i < count; ++i) {
    spec.relocations.push_back({{".data", i * kStride}, {".rodata", i % 4096}});
  }
  const std::string path = granule::testing::TempPath(stem);
  EXPECT_TRUE(granule::WriteImage(spec, path).ok());
  return path;
}

// The file offset of entry `index` of the image's .rela.dyn.
uint64_t EntryOffset(const std::string& path, uint64_t index) {
  absl::StatusOr<File> file = File::OpenForReading(path);
  EXPECT_TRUE(file.ok()) << file.status();
  absl::StatusOr<ElfImage> elf = ReadElfImage(*file);
  EXPECT_TRUE(elf.ok()) << elf.status();
  const Section* rela = elf->FindSection(".rela.dyn");
  EXPECT_NE(rela, nullptr);
  return rela->offset + index * kEntry;
}

// Overwrites the little-endian word at `offset` in place.
void PutWord(const std::string& path, uint64_t offset, uint64_t value) {
  char bytes[8];
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>(value >> (8 * i));
  std::fstream out(path, std::ios::in | std::ios::out | std::ios::binary);
  out.seekp(offset);
  out.write(bytes, sizeof bytes);
  ASSERT_TRUE(out.good()) << path;
}

// The table a load of `image` would walk; the image's address 0 is base().
absl::StatusOr<RelocationTable> TableForLoad(const LoadedImage& image,
                                             const File* file) {
  const ImageMemory memory(image.elf(),
                           reinterpret_cast<uint8_t*>(image.base()), 0);
  return RelocationTable::ForLoad(file, memory, TableKind::kRela);
}

TEST(StreamedTablesTest, LargeTableIsVisitedInWholeEntryChunksInOrder) {
  constexpr uint64_t kCount = 10000;  // 240,000 bytes: four chunks.
  const std::string path = WriteImage(kCount, "streamed_large");
  absl::StatusOr<File> file = File::OpenForReading(path);
  ASSERT_TRUE(file.ok()) << file.status();
  absl::StatusOr<std::unique_ptr<LoadedImage>> image = LoadImage(path, {});
  ASSERT_TRUE(image.ok()) << image.status();
  ASSERT_EQ((*image)->relocations_applied(), kCount);

  absl::StatusOr<RelocationTable> in_place = TableForLoad(**image, nullptr);
  ASSERT_TRUE(in_place.ok()) << in_place.status();
  EXPECT_FALSE(in_place->read_from_file());
  std::vector<uint8_t> mapped;
  ASSERT_TRUE(in_place
                  ->ForEachChunk([&](absl::Span<const uint8_t> bytes,
                                     size_t first) {
                    EXPECT_EQ(first, 0u);
                    mapped.assign(bytes.begin(), bytes.end());
                    return absl::OkStatus();
                  })
                  .ok());
  ASSERT_EQ(mapped.size(), kCount * kEntry);

  absl::StatusOr<RelocationTable> streamed = TableForLoad(**image, &*file);
  ASSERT_TRUE(streamed.ok()) << streamed.status();
  EXPECT_TRUE(streamed->read_from_file());
  EXPECT_EQ(streamed->size(), kCount * kEntry);
  std::vector<uint8_t> read;
  int chunks = 0;
  ASSERT_TRUE(streamed
                  ->ForEachChunk([&](absl::Span<const uint8_t> bytes,
                                     size_t first) {
                    EXPECT_EQ(bytes.size() % kEntry, 0u);
                    EXPECT_LE(bytes.size(), kTableChunkBytes);
                    EXPECT_EQ(first * kEntry, read.size());
                    read.insert(read.end(), bytes.begin(), bytes.end());
                    ++chunks;
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_EQ(chunks, 4);
  EXPECT_EQ(read, mapped);
}

TEST(StreamedTablesTest, SmallTableIsReadInPlace) {
  // Below kStreamedTableBytes: its pages cost less than a read.
  const uint64_t count = kStreamedTableBytes / kEntry - 1;
  const std::string path = WriteImage(count, "streamed_small");
  absl::StatusOr<File> file = File::OpenForReading(path);
  ASSERT_TRUE(file.ok()) << file.status();
  absl::StatusOr<std::unique_ptr<LoadedImage>> image = LoadImage(path, {});
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ((*image)->relocations_applied(), count);
  absl::StatusOr<RelocationTable> table = TableForLoad(**image, &*file);
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_FALSE(table->read_from_file());
  EXPECT_EQ(table->size(), count * kEntry);
}

TEST(StreamedTablesTest, ABadEntryInALaterChunkIsNamedAndLeavesNothing) {
  constexpr uint64_t kCount = 10000;
  constexpr uint64_t kBad = 5000;  // In the third chunk.
  const std::string path = WriteImage(kCount, "streamed_bad_entry");
  PutWord(path, EntryOffset(path, kBad) + 8, 1);  // R_X86_64_64.
  testing::ForEachMachineGranuleRuns(
      [&](const SimulatedMachine&, testing::FaultInjectingBackend& backend) {
        LoadOptions options;
        options.shared_backend = &backend;
        absl::StatusOr<std::unique_ptr<LoadedImage>> image =
            LoadImage(path, options);
        ASSERT_FALSE(image.ok());
        EXPECT_THAT(image.status().message(), HasSubstr(path));
        EXPECT_THAT(image.status().message(),
                    HasSubstr("DT_RELA entry 5000: type 1, symbol 0"));
        EXPECT_EQ(backend.live_regions(), 0u);
        EXPECT_EQ(backend.live_mappings(), 0u);
      });
  // The host's loader, and `granule check`, which reads the file only.
  absl::StatusOr<std::unique_ptr<LoadedImage>> image = LoadImage(path, {});
  ASSERT_FALSE(image.ok());
  EXPECT_THAT(image.status().message(), HasSubstr("DT_RELA entry 5000"));
  absl::StatusOr<File> file = File::OpenForReading(path);
  ASSERT_TRUE(file.ok()) << file.status();
  absl::StatusOr<ElfImage> elf = ReadElfImage(*file);
  ASSERT_TRUE(elf.ok()) << elf.status();
  const absl::Status checked = CheckRelocations(*file, *elf);
  EXPECT_THAT(checked.message(), HasSubstr("DT_RELA entry 5000"));
}

TEST(StreamedTablesTest, AFileThatShrankUnderTheReadIsAnErrorNamingIt) {
  constexpr uint64_t kCount = 10000;
  const std::string path = WriteImage(kCount, "streamed_shrunk");
  absl::StatusOr<File> file = File::OpenForReading(path);
  ASSERT_TRUE(file.ok()) << file.status();
  absl::StatusOr<ElfImage> elf = ReadElfImage(*file);
  ASSERT_TRUE(elf.ok()) << elf.status();
  // The table's second half goes after the file was opened, where the
  // system lets a file another handle has open shrink (Windows does not,
  // for granule's handles, which do not share writing).
  std::error_code error;
  std::filesystem::resize_file(path, EntryOffset(path, kCount / 2), error);
  if (error) GTEST_SKIP() << "cannot shrink an open file: " << error.message();

  // Addresses only: the table is read from the file.
  const ImageMemory memory(*elf, nullptr, 0);
  absl::StatusOr<RelocationTable> table =
      RelocationTable::ForLoad(&*file, memory, TableKind::kRela);
  ASSERT_TRUE(table.ok()) << table.status();
  ASSERT_TRUE(table->read_from_file());
  uint64_t visited = 0;
  const absl::Status s =
      table->ForEachChunk([&](absl::Span<const uint8_t> bytes, size_t) {
        visited += bytes.size();
        return absl::OkStatus();
      });
  EXPECT_EQ(s.code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(s.message(), HasSubstr(path));
  EXPECT_LT(visited, kCount / 2 * kEntry);
  EXPECT_GT(visited, 0u);
}

}  // namespace
}  // namespace granule
