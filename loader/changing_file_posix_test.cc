// SPDX-License-Identifier: Apache-2.0
// Files that change under a mapped image, as POSIX kernels handle them:
// replacing by rename is harmless, truncating raises SIGBUS past the new end,
// and a write in place shows through the mapping's untouched pages.
// changing_file_test.cc holds what every OS shares.
#include <filesystem>
#include <iostream>
#include <string>
#include <system_error>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loader/changing_file_test_util.h"
#include "loader/elf/elf_image.h"
#include "loader/writer/image_writer.h"
#include "loader/loaded_image.h"
#include "loader/versioned_image_test_util.h"
#include "platform/file.h"
#include "platform/memory/simulated_backend.h"
#include "testing/fault_probe.h"
#include "testing/temp_file.h"

namespace granule {
namespace {

using ::granule::testing::DiffFrom;
using ::granule::testing::FirstFaultingPage;
using ::granule::testing::kChangingRodataSize;
using ::granule::testing::LoadShared;
using ::granule::testing::VersionedImageSpec;
using ::granule::testing::WriteVersionedImage;

const uint8_t* Rodata(const LoadedImage& image) {
  return image.Pointer(image.elf().FindSection(".rodata")->addr);
}

// The writer's rename puts a new inode at the path; the mapping keeps the
// old one, which lives on until it is unmapped.
TEST(ChangingFilePosixTest, ReplacingByRenameLeavesTheLoadedImageIntact) {
  const std::string path = WriteVersionedImage(1);
  absl::StatusOr<std::unique_ptr<LoadedImage>> old_image =
      LoadShared(path, false);
  ASSERT_TRUE(old_image.ok()) << old_image.status();

  ASSERT_TRUE(
      WriteImage(VersionedImageSpec(2, kChangingRodataSize), path).ok());
  EXPECT_EQ(FirstFaultingPage(**old_image), 0u);
  EXPECT_EQ(DiffFrom(**old_image, 1), "");  // Bytes, relocations, dynamic.

  absl::StatusOr<std::unique_ptr<LoadedImage>> new_image =
      LoadShared(path, false);
  ASSERT_TRUE(new_image.ok()) << new_image.status();
  EXPECT_EQ(DiffFrom(**new_image, 2), "");
  EXPECT_EQ(DiffFrom(**old_image, 1), "");
}

// Truncation takes the pages past the new end out of every mapping of the
// file: reading one raises SIGBUS. A page still partly inside stays readable.
TEST(ChangingFilePosixTest, TruncatingAMappedImageRaisesSigbusPastTheNewEnd) {
  const std::string path = WriteVersionedImage(1);  // This test's own copy.
  absl::StatusOr<std::unique_ptr<LoadedImage>> image = LoadShared(path, false);
  ASSERT_TRUE(image.ok()) << image.status();
  const LoadedImage& loaded = **image;
  const Section& rodata = *loaded.elf().FindSection(".rodata");
  const uint64_t page = loaded.backend().geometry().page_size();
  // The end of the page holding .rodata's first byte; in the 1:1 layout file
  // offsets are image addresses.
  const uint64_t new_end = (rodata.offset / page + 1) * page;
  ASSERT_GT(rodata.offset + rodata.size, new_end + page);
  ASSERT_EQ(FirstFaultingPage(loaded), 0u);

  std::error_code error;
  std::filesystem::resize_file(path, new_end - 1, error);
  ASSERT_FALSE(error) << path << ": " << error.message();

  EXPECT_FALSE(granule::testing::ReadFaults(loaded.Pointer(new_end - 1)));
  EXPECT_TRUE(granule::testing::ReadFaults(loaded.Pointer(new_end)));
  EXPECT_TRUE(granule::testing::ReadFaults(loaded.Pointer(new_end + page)));
  EXPECT_TRUE(granule::testing::ReadFaults(
      loaded.Pointer(rodata.addr + rodata.size - 1)));
  std::cout << "after truncation the first faulting page is at image address 0x"
            << std::hex << FirstFaultingPage(loaded) - loaded.base()
            << "; the relocated .data page "
            << (granule::testing::ReadFaults(
                    loaded.Pointer(loaded.elf().FindSection(".data")->addr))
                    ? "faults too (its private copy was discarded)"
                    : "survives (a private copy)")
            << "\n";
}

// Untouched pages of a private mapping are the page cache's: a write to the
// file shows through them (POSIX leaves it unspecified; Linux does it).
TEST(ChangingFilePosixTest, WritingInPlaceChangesAMappedImagesBytes) {
  const std::string path = WriteVersionedImage(1);
  absl::StatusOr<std::unique_ptr<LoadedImage>> image = LoadShared(path, false);
  ASSERT_TRUE(image.ok()) << image.status();
  granule::testing::OverwriteRodataInPlace(path, **image, 2);
  EXPECT_EQ(Rodata(**image)[1], granule::testing::PatternBytes(2, 2)[1]);
  EXPECT_NE(DiffFrom(**image, 1), "");
}

// A file that shrinks between opening and loading: with copy_file_bytes the
// read comes up short and the load is an error, not a SIGBUS later.
TEST(ChangingFilePosixTest, FileThatShrankBeforeTheCopyIsAnError) {
  const std::string path = WriteVersionedImage(1);
  absl::StatusOr<File> file = File::OpenForReading(path);
  ASSERT_TRUE(file.ok()) << file.status();
  absl::StatusOr<ElfImage> elf = ReadElfImage(*file);
  ASSERT_TRUE(elf.ok()) << elf.status();
  std::error_code error;
  std::filesystem::resize_file(path, file->size() / 2, error);
  ASSERT_FALSE(error) << error.message();

  SimulatedBackend machine(*PageGeometry::Create(4096, 4096));
  LoadOptions options;
  options.shared_backend = &machine;
  options.path = LoadOptions::PathChoice::kShared;
  options.copy_file_bytes = true;
  absl::StatusOr<std::unique_ptr<LoadedImage>> image =
      LoadImage(*file, *elf, options);
  EXPECT_EQ(image.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(image.status().message(),
              ::testing::HasSubstr("shrank after it was opened"));
  EXPECT_THAT(image.status().message(), ::testing::HasSubstr(path));
  EXPECT_EQ(machine.live_regions(), 0u);
  EXPECT_EQ(machine.live_mappings(), 0u);
}

}  // namespace
}  // namespace granule
