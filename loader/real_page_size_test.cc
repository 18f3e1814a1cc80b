// SPDX-License-Identifier: Apache-2.0
// The loader on the machine it runs on, with the host backend: no simulation.
// Run natively, under Wine, and on QEMU virtual machines whose kernels have
// 16 KiB and 64 KiB pages (testing/matrix.sh), it shows the contract holding
// on real kernels: a 64 KiB-aligned image takes the shared path and its
// protections are enforced by the hardware; an image aligned to only 4 KiB
// takes the shared path where the page size and granularity divide 4 KiB, and
// elsewhere is refused for it with the reason and loads by the malloc path.
#include <cstdint>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loader/image_writer.h"
#include "loader/loaded_image.h"
#include "platform/memory/memory_backend.h"
#include "platform/page_geometry.h"
#include "testing/fault_probe.h"
#include "testing/temp_file.h"

namespace granule {
namespace {

using Choice = LoadOptions::PathChoice;

constexpr uint64_t kOldAlignment = 4096;  // What Guile assumed.
const std::string kConstants = "constants reached through a relocated word";

PageGeometry Host() {
  absl::StatusOr<PageGeometry> geometry = HostPageGeometry();
  EXPECT_TRUE(geometry.ok()) << geometry.status();
  return geometry.ok() ? *geometry : *PageGeometry::Create(4096, 4096);
}

// The variant whose words this machine reads as pointers.
ElfVariant HostVariant() {
  const uint16_t probe = 1;
  uint8_t first_byte;
  std::memcpy(&first_byte, &probe, 1);
  return {sizeof(void*) == 8, first_byte == 0};
}

// R, RX and RW segments, the RW one holding a word relocated to .rodata.
std::string WriteImageAligned(uint64_t alignment) {
  ImageSpec spec;
  spec.variant = HostVariant();
  spec.segment_alignment = alignment;
  spec.sections = {
      {".rodata", SectionAccess::kRead, 16,
       std::vector<uint8_t>(kConstants.begin(), kConstants.end()), 0},
      {".text", SectionAccess::kReadExecute, 16,
       granule::testing::PatternBytes(3000, 7), 0},
      {".data", SectionAccess::kReadWrite, 8,
       std::vector<uint8_t>(spec.variant.word_size(), 0), 0},
  };
  spec.relocations = {{{".data", 0}, {".rodata", 0}}};
  const std::string path = granule::testing::TempPath("real-page-size");
  const absl::Status written = WriteImage(spec, path);
  EXPECT_TRUE(written.ok()) << written;
  return path;
}

absl::StatusOr<std::unique_ptr<LoadedImage>> Load(const std::string& path,
                                                  Choice choice) {
  LoadOptions options;
  options.path = choice;
  return LoadImage(path, options);
}

// Follows the relocated word in .data: it must lead to the constants.
void ExpectPointerReachesConstants(const LoadedImage& image) {
  const uint64_t data = image.elf().FindSection(".data")->addr;
  uintptr_t pointer = 0;
  std::memcpy(&pointer, image.Pointer(data, sizeof(pointer)), sizeof(pointer));
  ASSERT_NE(pointer, 0u);
  EXPECT_EQ(
      std::string(reinterpret_cast<const char*>(pointer), kConstants.size()),
      kConstants);
}

// What the loader must say when `geometry` cannot place `alignment`.
std::string RefusalReason(const PageGeometry& geometry, uint64_t alignment) {
  const bool page_divides = alignment % geometry.page_size() == 0;
  return absl::StrFormat(
      "%s %s does not divide p_align %s of program header 0 (%s)",
      page_divides ? "allocation granularity" : "page size",
      FormatBytes(page_divides ? geometry.allocation_granularity()
                               : geometry.page_size()),
      FormatBytes(alignment), geometry.ToString());
}

TEST(RealPageSizeTest, ImageAlignedTo64KiBIsMappedAndProtectedByTheKernel) {
  const PageGeometry host = Host();
  std::cout << "host: " << host.ToString() << "\n";
  ASSERT_TRUE(host.Divides(elf::kImageAlignment))
      << "granule's alignment assumes pages of at most 64 KiB";
  absl::StatusOr<std::unique_ptr<LoadedImage>> image =
      Load(WriteImageAligned(elf::kImageAlignment), Choice::kShared);
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ((*image)->path(), LoadPath::kShared);
  ExpectPointerReachesConstants(**image);

  // The kernel, not just granule's records, enforces each segment's rights.
  auto first_byte = [&](const char* section) {
    return (*image)->Pointer((*image)->elf().FindSection(section)->addr);
  };
  EXPECT_TRUE(granule::testing::WriteFaults(first_byte(".rodata")));
  EXPECT_TRUE(granule::testing::WriteFaults(first_byte(".text")));
  EXPECT_FALSE(granule::testing::WriteFaults(first_byte(".data")));
  EXPECT_FALSE(granule::testing::ReadFaults(first_byte(".text")));
}

TEST(RealPageSizeTest, ImageAlignedTo4KiBIsRefusedWhereThePageIsLarger) {
  const PageGeometry host = Host();
  const std::string path = WriteImageAligned(kOldAlignment);
  absl::StatusOr<std::unique_ptr<LoadedImage>> automatic =
      Load(path, Choice::kAuto);
  ASSERT_TRUE(automatic.ok()) << automatic.status();
  std::cout << "host: " << host.ToString() << "; a 4 KiB-aligned image takes "
            << LoadPathName((*automatic)->path())
            << " path: " << (*automatic)->reason() << "\n";
  ExpectPointerReachesConstants(**automatic);

  absl::StatusOr<std::unique_ptr<LoadedImage>> shared =
      Load(path, Choice::kShared);
  if (host.Divides(kOldAlignment)) {
    EXPECT_EQ((*automatic)->path(), LoadPath::kShared);
    EXPECT_TRUE(shared.ok()) << shared.status();
    return;
  }
  const std::string reason = RefusalReason(host, kOldAlignment);
  EXPECT_EQ((*automatic)->path(), LoadPath::kMalloc);
  EXPECT_EQ((*automatic)->reason(), reason);
  ASSERT_FALSE(shared.ok());
  EXPECT_EQ(shared.status().message(),
            path + ": the shared path is required but " + reason);
}

}  // namespace
}  // namespace granule
