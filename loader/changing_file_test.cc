// SPDX-License-Identifier: Apache-2.0
// Files that change under a loaded image, on every OS: with
// LoadOptions::copy_file_bytes the image is the shared path's (layout,
// enforced protections) yet owes the file nothing once loaded. What mapping
// without copying does when the file changes is OS-specific:
// changing_file_posix_test.cc and changing_file_windows_test.cc.
#include <filesystem>
#include <iostream>
#include <string>
#include <system_error>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loader/changing_file_test_util.h"
#include "loader/loaded_image.h"
#include "loader/versioned_image_test_util.h"
#include "platform/memory/simulated_backend.h"
#include "testing/fault_probe.h"
#include "testing/raw_elf.h"
#include "testing/temp_file.h"
#include "testing/fault_injecting_backend.h"

namespace granule {
namespace {

using ::granule::testing::DiffFrom;
using ::granule::testing::FirstFaultingPage;
using ::granule::testing::LoadShared;
using ::granule::testing::WriteVersionedImage;
using ::testing::HasSubstr;

TEST(CopyFileBytesTest, CopiedImageIsTheSharedPathsWithItsProtections) {
  const std::string path = WriteVersionedImage(1);
  absl::StatusOr<std::unique_ptr<LoadedImage>> copied = LoadShared(path, true);
  absl::StatusOr<std::unique_ptr<LoadedImage>> mapped = LoadShared(path, false);
  ASSERT_TRUE(copied.ok()) << copied.status();
  ASSERT_TRUE(mapped.ok()) << mapped.status();
  EXPECT_EQ((*copied)->path(), LoadPath::kShared);
  EXPECT_TRUE((*copied)->file_bytes_copied());
  EXPECT_FALSE((*mapped)->file_bytes_copied());
  EXPECT_THAT((*copied)->reason(),
              HasSubstr("; file bytes copied, not mapped (copy_file_bytes)"));
  EXPECT_EQ(DiffFrom(**copied, 1), "");
  // Same layout, same protections, enforced by the hardware.
  ASSERT_EQ((*copied)->segments().size(), (*mapped)->segments().size());
  for (size_t i = 0; i < (*copied)->segments().size(); ++i) {
    const LoadedImage::LoadedSegment& c = (*copied)->segments()[i];
    const LoadedImage::LoadedSegment& m = (*mapped)->segments()[i];
    EXPECT_EQ(c.data - reinterpret_cast<uint8_t*>((*copied)->base()),
              m.data - reinterpret_cast<uint8_t*>((*mapped)->base()));
    EXPECT_EQ(c.protection, m.protection) << "segment " << i;
    EXPECT_EQ((*copied)->ProtectionAt(reinterpret_cast<uintptr_t>(c.data)),
              c.protection);
    EXPECT_EQ(granule::testing::WriteFaults(c.data),
              c.protection != Protection::kReadWrite)
        << "segment " << i;
  }
  EXPECT_EQ(FirstFaultingPage(**copied), 0u);
}

// The copy reads the segments' bytes and nothing else: the padding between
// segments stays zero pages that were never read from disk (nor made
// resident), even where the file holds bytes there.
TEST(CopyFileBytesTest, CopyReadsOnlyTheSegmentsBytes) {
  granule::testing::RawElf elf =
      granule::testing::TwoSegmentImage({true, false});
  constexpr uint64_t kPadding = 0x2000;  // Between R [0, 4K) and RW at 64K.
  elf.Put(kPadding, std::vector<uint8_t>(0x100, 0xee));
  absl::StatusOr<std::string> path =
      granule::testing::WriteTempFile("padded.go", elf.Encode());
  ASSERT_TRUE(path.ok()) << path.status();
  for (bool copy : {false, true}) {
    absl::StatusOr<std::unique_ptr<LoadedImage>> image =
        LoadShared(*path, copy);
    ASSERT_TRUE(image.ok()) << image.status();
    const auto* padding =
        reinterpret_cast<const uint8_t*>((*image)->base() + kPadding);
    EXPECT_EQ(*padding, copy ? 0x00 : 0xee)
        << (copy ? "copied: padding is not read" : "mapped: the whole file");
  }
}

TEST(CopyFileBytesTest, CopiedImageIgnoresTruncationAndOverwriteInPlace) {
  const std::string path = WriteVersionedImage(1);
  absl::StatusOr<std::unique_ptr<LoadedImage>> image = LoadShared(path, true);
  ASSERT_TRUE(image.ok()) << image.status();

  std::error_code error;
  std::filesystem::resize_file(path, 0, error);
  ASSERT_FALSE(error) << path << ": " << error.message();
  EXPECT_EQ(FirstFaultingPage(**image), 0u);
  EXPECT_EQ(DiffFrom(**image, 1), "");

  granule::testing::OverwriteRodataInPlace(path, **image, 2);
  EXPECT_EQ(FirstFaultingPage(**image), 0u);
  EXPECT_EQ(DiffFrom(**image, 1), "");
}

TEST(CopyFileBytesTest, MallocPathIgnoresTheOptionAndAlwaysCopies) {
  LoadOptions options;
  options.path = LoadOptions::PathChoice::kMalloc;
  options.copy_file_bytes = true;
  absl::StatusOr<std::unique_ptr<LoadedImage>> image =
      LoadImage(WriteVersionedImage(1), options);
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_TRUE((*image)->file_bytes_copied());
  EXPECT_EQ((*image)->reason(), "requested by the caller");
  EXPECT_EQ(DiffFrom(**image, 1), "");
}

// The copy goes through the backend's raw calls (map zeroed, protect), so a
// simulated machine sees it and fault injection reaches each of them.
TEST(CopyFileBytesTest, EverySimulatedFailureLeavesNothingBehind) {
  const std::string path = WriteVersionedImage(3);
  testing::FaultInjectingBackend machine(*PageGeometry::Create(16384, 65536));
  LoadOptions options;
  options.shared_backend = &machine;
  options.path = LoadOptions::PathChoice::kShared;
  uint64_t before = machine.calls();
  ASSERT_TRUE(LoadImage(path, options).ok());
  const uint64_t mapped_calls = machine.calls() - before;

  options.copy_file_bytes = true;
  before = machine.calls();
  {
    absl::StatusOr<std::unique_ptr<LoadedImage>> image =
        LoadImage(path, options);
    ASSERT_TRUE(image.ok()) << image.status();
    EXPECT_EQ(DiffFrom(**image, 3), "");
    EXPECT_TRUE((*image)->file_bytes_copied());
  }
  const uint64_t calls = machine.calls() - before;
  // The mapping's protection is set by one more call after the copy.
  EXPECT_EQ(calls, mapped_calls + 1);
  for (uint64_t k = 1; k <= calls; ++k) {
    machine.FailNthCallFromNow(k);
    absl::StatusOr<std::unique_ptr<LoadedImage>> image =
        LoadImage(path, options);
    EXPECT_THAT(image.status().message(), HasSubstr("injected failure"))
        << "call " << k;
    EXPECT_EQ(machine.live_regions(), 0u) << "call " << k;
    EXPECT_EQ(machine.live_mappings(), 0u) << "call " << k;
  }
  std::cout << "copy_file_bytes on a simulated 16 KiB/64 KiB machine: " << calls
            << " raw calls, each failed in turn, no leak\n";
}

}  // namespace
}  // namespace granule
