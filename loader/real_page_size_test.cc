// SPDX-License-Identifier: Apache-2.0
// The loader on the machine it runs on, with the host backend: no simulation.
// Run natively, under Wine, and on QEMU virtual machines whose kernels have
// 16 KiB and 64 KiB pages (testing/matrix.sh), it shows the contract holding
// on real kernels: a 64 KiB-aligned image takes the shared path and its
// protections are enforced by the hardware; an image aligned to only 4 KiB
// takes the shared path where the page size and granularity divide 4 KiB, and
// elsewhere is refused for it with the reason: a small one loads by the
// malloc path, a large one segment by segment, mapping the pages one segment
// alone holds and copying the pages its segments share.
#include <cstdint>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loader/writer/image_writer.h"
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

// A 4 KiB-aligned image whose .rodata and .data are 192 KiB each: on 16 and
// 64 KiB pages whole pages hold one segment alone.
std::string WriteLargeImageAligned(uint64_t alignment) {
  ImageSpec spec;
  spec.variant = HostVariant();
  spec.segment_alignment = alignment;
  std::vector<uint8_t> rodata(kConstants.begin(), kConstants.end());
  const std::vector<uint8_t> pattern =
      granule::testing::PatternBytes(192 * 1024, 5);
  rodata.insert(rodata.end(), pattern.begin(), pattern.end());
  std::vector<uint8_t> data(spec.variant.word_size(), 0);
  const std::vector<uint8_t> more = granule::testing::PatternBytes(192 * 1024, 9);
  data.insert(data.end(), more.begin(), more.end());
  spec.sections = {
      {".rodata", SectionAccess::kRead, 16, rodata, 0},
      {".text", SectionAccess::kReadExecute, 16,
       granule::testing::PatternBytes(3000, 7), 0},
      {".data", SectionAccess::kReadWrite, 8, data, 0},
  };
  spec.relocations = {{{".data", 0}, {".rodata", 0}}};
  const std::string path = granule::testing::TempPath("real-page-size-large");
  const absl::Status written = WriteImage(spec, path);
  EXPECT_TRUE(written.ok()) << written;
  return path;
}

TEST(RealPageSizeTest, LargeImageAlignedTo4KiBMapsSegmentBySegment) {
  const PageGeometry host = Host();
  const std::string path = WriteLargeImageAligned(kOldAlignment);
  absl::StatusOr<std::unique_ptr<LoadedImage>> image = Load(path, Choice::kAuto);
  ASSERT_TRUE(image.ok()) << image.status();
  const LoadVerdict& verdict = (*image)->verdict();
  std::cout << "host: " << host.ToString() << "; a large 4 KiB-aligned image "
            << "takes the " << LoadRouteName(verdict.route) << " route: "
            << verdict.bytes_mapped << " bytes mapped, " << verdict.bytes_copied
            << " copied\n";
  ExpectPointerReachesConstants(**image);
  EXPECT_EQ((*image)->path(), LoadPath::kShared);
  EXPECT_GT(verdict.bytes_mapped, 0u);
  if (host.Divides(kOldAlignment)) {
    EXPECT_EQ(verdict.route, LoadRoute::kSharedWhole) << (*image)->reason();
    EXPECT_EQ(verdict.bytes_copied, 0u);
  } else {
    EXPECT_EQ(verdict.route, LoadRoute::kPerSegment) << (*image)->reason();
    EXPECT_GT(verdict.bytes_copied, 0u);
    EXPECT_THAT((*image)->reason(),
                ::testing::HasSubstr(RefusalReason(host, kOldAlignment)));
  }
  // The kernel enforces the rights: .rodata's first page is mapped (or
  // copied) read-only, .data's writable.
  auto first_byte = [&](const char* section) {
    return (*image)->Pointer((*image)->elf().FindSection(section)->addr);
  };
  EXPECT_TRUE(granule::testing::WriteFaults(first_byte(".rodata")));
  EXPECT_FALSE(granule::testing::WriteFaults(first_byte(".data")));
  // The same bytes as the heap copy, relocated alike.
  LoadOptions options;
  options.relocation_base = 0x40000000;
  absl::StatusOr<std::unique_ptr<LoadedImage>> a = LoadImage(path, options);
  options.path = Choice::kMalloc;
  absl::StatusOr<std::unique_ptr<LoadedImage>> b = LoadImage(path, options);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ((*a)->segments().size(), (*b)->segments().size());
  for (size_t i = 0; i < (*a)->segments().size(); ++i) {
    const LoadedImage::LoadedSegment& x = (*a)->segments()[i];
    const LoadedImage::LoadedSegment& y = (*b)->segments()[i];
    ASSERT_EQ(x.size, y.size);
    EXPECT_EQ(std::memcmp(x.data, y.data, x.size), 0) << "segment " << i;
  }
}

}  // namespace
}  // namespace granule
