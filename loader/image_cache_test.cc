// SPDX-License-Identifier: Apache-2.0
// The image cache (loader/image_cache.h) through LoadOptions::cache: an
// image with 4 KiB p_align whose writable segment is packed right after the
// read-only one on disk, but 64 KiB away in memory, loaded on simulated 16
// and 64 KiB machines (and, with 1 KiB p_align, on this machine): refused by
// the shared path as a whole as it is, mapped whole from the cached copy,
// with the same bytes as a heap copy of the source. What the cache must
// refuse or rebuild is in image_cache_trust_test.cc.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loader/elf/relocation_types.h"
#include "loader/image_cache.h"
#include "loader/image_cache_test_util.h"
#include "loader/loaded_image.h"
#include "platform/memory/simulated_machines.h"
#include "testing/raw_elf.h"
#include "testing/temp_file.h"

// In the helpers' namespace, so they need no using-declarations.
namespace granule::cache_testing {
namespace {

using ::testing::HasSubstr;
using granule::testing::RawElf;
using granule::testing::RawRelocations;

TEST(ImageCacheTest, RelayOutMakesOffsetsCongruentAndKeepsAddresses) {
  const std::string path = WriteRaw(PackedImage(0x1000));
  absl::StatusOr<File> file = File::OpenForReading(path);
  ASSERT_TRUE(file.ok()) << file.status();
  absl::StatusOr<ElfImage> elf = ReadElfImage(*file);
  ASSERT_TRUE(elf.ok()) << elf.status();
  std::vector<uint8_t> bytes(file->size());
  ASSERT_TRUE(file->ReadAt(0, absl::MakeSpan(bytes)).ok());
  absl::StatusOr<ImageBytes> relaid = RelayOutImage(*elf, bytes, 0x10000);
  ASSERT_TRUE(relaid.ok()) << relaid.status();
  const std::vector<uint8_t> flat = relaid->Flatten();
  const File memory = File::OverMemory("relaid", flat.data(), flat.size());
  absl::StatusOr<ElfImage> out = ReadElfImage(memory);
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_EQ(out->LoadSegments().size(), elf->LoadSegments().size());
  for (size_t i = 0; i < elf->LoadSegments().size(); ++i) {
    const Segment& a = *elf->LoadSegments()[i];
    const Segment& b = *out->LoadSegments()[i];
    EXPECT_EQ(b.vaddr, a.vaddr);
    EXPECT_EQ(b.filesz, a.filesz);
    EXPECT_EQ(b.offset % 0x10000, b.vaddr % 0x10000) << "segment " << i;
    EXPECT_EQ(b.align, 0x10000u);
    EXPECT_TRUE(std::equal(bytes.begin() + a.offset,
                           bytes.begin() + a.offset + a.filesz,
                           flat.begin() + b.offset) ||
                a.offset == 0)
        << "segment " << i;
  }
  const Section* data = out->FindSection(".data");
  ASSERT_NE(data, nullptr);
  EXPECT_EQ(data->offset, out->LoadSegments()[1]->offset);
  // The moved segment leaves a hole, not written zeros.
  EXPECT_GE(relaid->extents.size(), 2u);
}

TEST(ImageCacheTest, RefusedImagesMapSharedFromTheCachedCopy) {
  const std::string path = WriteRaw(PackedImage(0x1000));
  const std::vector<uint8_t> reference = HeapBytes(path);
  for (const char* name : {"linux-arm64-16k", "linux-ppc64le"}) {
    SCOPED_TRACE(name);
    const std::unique_ptr<SimulatedBackend> machine =
        SimulatedMachineNamed(name);
    absl::StatusOr<std::unique_ptr<LoadedImage>> plain =
        Load(path, machine.get(), "");
    ASSERT_TRUE(plain.ok()) << plain.status();
    EXPECT_FALSE((*plain)->verdict().shared_whole()) << (*plain)->reason();

    const std::string dir = FreshDirectory();
    for (const char* outcome : {"(built)", "(reused)"}) {
      absl::StatusOr<std::unique_ptr<LoadedImage>> cached =
          Load(path, machine.get(), dir);
      ASSERT_TRUE(cached.ok()) << cached.status();
      EXPECT_TRUE((*cached)->verdict().shared_whole()) << (*cached)->reason();
      EXPECT_THAT((*cached)->reason(), HasSubstr(outcome));
      EXPECT_EQ((*cached)->elf().path, path);
      EXPECT_EQ(LoadedBytes(**cached), reference);
    }
    const std::vector<std::string> entries = Entries(dir);
    ASSERT_EQ(entries.size(), 1u);
    struct stat st;
    ASSERT_EQ(stat((dir + "/" + entries[0]).c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0644u);
  }
}

TEST(ImageCacheTest, EntriesTakeTheModeTheCallerAsks) {
  const std::string path = WriteRaw(PackedImage(0x1000));
  const std::unique_ptr<SimulatedBackend> machine =
      SimulatedMachineNamed("linux-ppc64le");
  const std::string dir = FreshDirectory();
  LoadOptions options;
  options.shared_backend = machine.get();
  options.cache.directory = dir;
  options.cache.file_mode = 0600;
  absl::StatusOr<std::unique_ptr<LoadedImage>> image =
      LoadImage(path, options);
  ASSERT_TRUE(image.ok()) << image.status();
  const std::vector<std::string> entries = Entries(dir);
  ASSERT_EQ(entries.size(), 1u);
  struct stat st;
  ASSERT_EQ(stat((dir + "/" + entries[0]).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
}

TEST(ImageCacheTest, SegmentsSharingAPageFallBackWithTheReason) {
  // R at 0 and RW at 0x10000 share one 256 KiB page at their addresses: no
  // file layout can give them two protections there.
  const std::string path = WriteRaw(PackedImage(0x1000));
  const std::unique_ptr<SimulatedBackend> machine =
      SimulatedMachineNamed("hypothetical-256k");
  const std::string dir = FreshDirectory();
  absl::StatusOr<std::unique_ptr<LoadedImage>> image =
      Load(path, machine.get(), dir);
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_FALSE((*image)->verdict().shared_whole()) << (*image)->reason();
  EXPECT_THAT((*image)->reason(),
              HasSubstr("the image cache was not used: a copy re-laid out for"));
  EXPECT_THAT((*image)->reason(), HasSubstr("share the 256 KiB page"));
  EXPECT_TRUE(Entries(dir).empty());
  EXPECT_EQ(LoadedBytes(**image), HeapBytes(path));
}

TEST(ImageCacheTest, ImagesTheSharedPathTakesNeedNoEntry) {
  RawElf elf = granule::testing::RelocatedImage(
      ElfVariant{}, RawRelocations::kRela, elf::kMachineNone,
      kGranuleRelative);
  const std::string path = WriteRaw(elf);
  const std::unique_ptr<SimulatedBackend> machine =
      SimulatedMachineNamed("linux-ppc64le");
  const std::string dir = FreshDirectory();
  absl::StatusOr<std::unique_ptr<LoadedImage>> image =
      Load(path, machine.get(), dir);
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_TRUE((*image)->verdict().shared_whole()) << (*image)->reason();
  EXPECT_THAT((*image)->reason(), ::testing::Not(HasSubstr("cache")));
  EXPECT_TRUE(Entries(dir).empty());
}

TEST(ImageCacheTest, ThisMachineMapsTheCachedCopy) {
  const uint64_t page = sysconf(_SC_PAGESIZE);
  RawElf elf = granule::testing::RelocatedImage(
      ElfVariant{}, RawRelocations::kRela, elf::kMachineNone,
      kGranuleRelative);
  for (Segment& s : elf.segments) {
    if (s.is_load()) s.align = 0x400;
  }
  const std::string path = WriteRaw(elf);
  const std::string dir = FreshDirectory();
  LoadOptions options;
  options.relocation_base = kBase;
  absl::StatusOr<std::unique_ptr<LoadedImage>> plain = LoadImage(path, options);
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_FALSE((*plain)->verdict().shared_whole())
      << "page " << page << ": " << (*plain)->reason();
  options.cache.directory = dir;
  absl::StatusOr<std::unique_ptr<LoadedImage>> cached =
      LoadImage(path, options);
  ASSERT_TRUE(cached.ok()) << cached.status();
  if (page > 0x10000) {
    GTEST_SKIP() << "pages of " << page << " bytes share the two segments";
  }
  EXPECT_TRUE((*cached)->verdict().shared_whole()) << (*cached)->reason();
  EXPECT_THAT((*cached)->reason(), HasSubstr("(built)"));
  EXPECT_EQ(LoadedBytes(**cached), LoadedBytes(**plain));
  EXPECT_EQ((*cached)->ProtectionAt((*cached)->base() + 0x10000),
            Protection::kReadWrite);
  EXPECT_EQ((*cached)->ProtectionAt((*cached)->base()), Protection::kRead);
}

}  // namespace
}  // namespace granule::cache_testing
