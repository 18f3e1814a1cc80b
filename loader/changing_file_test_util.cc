// SPDX-License-Identifier: Apache-2.0
#include "loader/changing_file_test_util.h"

#include <fstream>
#include <vector>

#include "gtest/gtest.h"
#include "loader/writer/image_writer.h"
#include "loader/versioned_image_test_util.h"
#include "testing/fault_probe.h"
#include "testing/temp_file.h"

namespace granule::testing {

std::string WriteVersionedImage(uint8_t version) {
  const std::string path = TempPath("changing");
  const absl::Status written =
      WriteImage(VersionedImageSpec(version, kChangingRodataSize), path);
  EXPECT_TRUE(written.ok()) << written;
  return path;
}

absl::StatusOr<std::unique_ptr<LoadedImage>> LoadShared(const std::string& path,
                                                        bool copy_file_bytes) {
  LoadOptions options;
  options.path = LoadOptions::PathChoice::kShared;
  options.copy_file_bytes = copy_file_bytes;
  return LoadImage(path, options);
}

std::string DiffFrom(const LoadedImage& image, uint8_t version) {
  return DiffFromVersion(image, version, kChangingRodataSize);
}

uintptr_t FirstFaultingPage(const LoadedImage& image) {
  const uint64_t page = image.backend().geometry().page_size();
  for (const LoadedImage::LoadedSegment& segment : image.segments()) {
    for (uint64_t offset = 0; offset < segment.size; offset += page) {
      if (ReadFaults(segment.data + offset)) {
        return reinterpret_cast<uintptr_t>(segment.data + offset);
      }
    }
  }
  return 0;
}

void OverwriteRodataInPlace(const std::string& path, const LoadedImage& image,
                            uint8_t version) {
  const std::vector<uint8_t> bytes = PatternBytes(kChangingRodataSize, version);
  std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
  ASSERT_TRUE(file.is_open()) << path;
  file.seekp(
      static_cast<std::streamoff>(image.elf().FindSection(".rodata")->offset));
  file.write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  file.close();
  ASSERT_FALSE(file.fail()) << path;
}

}  // namespace granule::testing
