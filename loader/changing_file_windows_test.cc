// SPDX-License-Identifier: Apache-2.0
// Files that change under a mapped image, as Windows handles them: while a
// view of the file is mapped, it can be neither replaced by rename nor
// truncated, so the loaded image cannot change (docs/porting.md).
// changing_file_test.cc holds what every OS shares.
#include <filesystem>
#include <string>
#include <system_error>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loader/changing_file_test_util.h"
#include "loader/writer/image_writer.h"
#include "loader/loaded_image.h"
#include "loader/versioned_image_test_util.h"

namespace granule {
namespace {

using ::granule::testing::DiffFrom;
using ::granule::testing::FirstFaultingPage;
using ::granule::testing::kChangingRodataSize;
using ::granule::testing::LoadShared;
using ::granule::testing::VersionedImageSpec;
using ::granule::testing::WriteVersionedImage;
using ::testing::HasSubstr;

TEST(ChangingFileWindowsTest, ReplacingAMappedImageIsRefusedUntilReleased) {
  const std::string path = WriteVersionedImage(1);
  absl::StatusOr<std::unique_ptr<LoadedImage>> image = LoadShared(path, false);
  ASSERT_TRUE(image.ok()) << image.status();

  const absl::Status replaced =
      WriteImage(VersionedImageSpec(2, kChangingRodataSize), path);
  EXPECT_EQ(replaced.code(), absl::StatusCode::kPermissionDenied) << replaced;
  EXPECT_THAT(replaced.message(), HasSubstr("MoveFileExW"));
  EXPECT_EQ(DiffFrom(**image, 1), "");
  {
    absl::StatusOr<std::unique_ptr<LoadedImage>> again =
        LoadShared(path, false);
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_EQ(DiffFrom(**again, 1), "");  // The old file stayed.
  }

  image->reset();
  ASSERT_TRUE(
      WriteImage(VersionedImageSpec(2, kChangingRodataSize), path).ok());
  absl::StatusOr<std::unique_ptr<LoadedImage>> replaced_image =
      LoadShared(path, false);
  ASSERT_TRUE(replaced_image.ok()) << replaced_image.status();
  EXPECT_EQ(DiffFrom(**replaced_image, 2), "");
}

TEST(ChangingFileWindowsTest, TruncatingAMappedImageIsRefused) {
  const std::string path = WriteVersionedImage(1);
  absl::StatusOr<std::unique_ptr<LoadedImage>> image = LoadShared(path, false);
  ASSERT_TRUE(image.ok()) << image.status();
  std::error_code error;
  std::filesystem::resize_file(path, 0, error);
  EXPECT_TRUE(error) << path << " was truncated while mapped";
  EXPECT_EQ(std::filesystem::file_size(path, error), (*image)->elf().file_size);
  EXPECT_EQ(FirstFaultingPage(**image), 0u);
  EXPECT_EQ(DiffFrom(**image, 1), "");
}

}  // namespace
}  // namespace granule
