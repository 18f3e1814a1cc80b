// SPDX-License-Identifier: Apache-2.0
// LoadOptions::populate_writable: the same image, loaded with and without it,
// has the same bytes and protections on the host and on simulated machines;
// the simulator records one populate call per writable file range, none
// without the option; a failing populate fails the load and leaves nothing.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loader/writer/image_writer.h"
#include "loader/loaded_image.h"
#include "platform/memory/simulated_machines.h"
#include "testing/temp_file.h"
#include "testing/fault_injecting_backend.h"

namespace granule {
namespace {

using ::testing::HasSubstr;

constexpr uint64_t kRelocationBase = 0x40000000;  // Same words every load.

// Three pages of relocated words in .data, and a .bss past the file's bytes.
std::string WriteImage(Layout layout) {
  ImageSpec spec;
  spec.variant = ElfVariant{};
  spec.machine = elf::kMachineX86_64;
  spec.layout = layout;
  spec.sections = {
      {".rodata", SectionAccess::kRead, 16,
       granule::testing::PatternBytes(5000, 3), 0},
      {".data", SectionAccess::kReadWrite, 4096,
       granule::testing::PatternBytes(3 * 4096, 5), 0},
      {".bss", SectionAccess::kReadWrite, 8, {}, 0x9000},
  };
  for (uint64_t at = 0; at < 3 * 4096; at += 1024) {
    spec.relocations.push_back({{".data", at}, {".rodata", at % 5000}});
  }
  const std::string path = granule::testing::TempPath(
      layout == Layout::kOneToOne ? "populate-1to1" : "populate-compact");
  EXPECT_TRUE(granule::WriteImage(spec, path).ok());
  return path;
}

std::unique_ptr<LoadedImage> Load(const std::string& path, LoadOptions options,
                                  bool populate) {
  options.relocation_base = kRelocationBase;
  options.populate_writable = populate;
  absl::StatusOr<std::unique_ptr<LoadedImage>> image = LoadImage(path, options);
  EXPECT_TRUE(image.ok()) << image.status();
  return image.ok() ? *std::move(image) : nullptr;
}

void ExpectSameBytesAndProtections(const LoadedImage& a, const LoadedImage& b) {
  ASSERT_EQ(a.segments().size(), b.segments().size());
  for (size_t i = 0; i < a.segments().size(); ++i) {
    const LoadedImage::LoadedSegment& x = a.segments()[i];
    const LoadedImage::LoadedSegment& y = b.segments()[i];
    ASSERT_EQ(x.size, y.size);
    EXPECT_EQ(std::vector<uint8_t>(x.data, x.data + x.size),
              std::vector<uint8_t>(y.data, y.data + y.size))
        << "segment " << i;
    EXPECT_EQ(x.protection, y.protection);
    for (uint64_t at = 0; at < x.size; at += 4096) {
      EXPECT_EQ(a.ProtectionAt(reinterpret_cast<uintptr_t>(x.data + at)),
                b.ProtectionAt(reinterpret_cast<uintptr_t>(y.data + at)))
          << "segment " << i << " offset " << at;
    }
  }
}

class PopulateWritableTest : public ::testing::TestWithParam<Layout> {};

TEST_P(PopulateWritableTest, HostLoadHasTheSameBytesAndProtections) {
  const std::string path = WriteImage(GetParam());
  // The host's verdict, not an assumption: Windows' 64 KiB granularity
  // refuses the compact layout's .bss the shared path, and populating is a
  // shared-path step (the malloc path has nothing to populate).
  LoadOptions options;
  std::unique_ptr<LoadedImage> lazy = Load(path, options, false);
  std::unique_ptr<LoadedImage> populated = Load(path, options, true);
  ASSERT_NE(lazy, nullptr);
  ASSERT_NE(populated, nullptr);
  EXPECT_EQ(populated->relocations_applied(), 12u);
  ExpectSameBytesAndProtections(*lazy, *populated);
  EXPECT_EQ(populated->path(), lazy->path());
  EXPECT_THAT(lazy->reason(), ::testing::Not(HasSubstr("populate")));
  if (populated->path() == LoadPath::kShared) {
    EXPECT_THAT(populated->reason(), HasSubstr("populate_writable"));
  } else {
    EXPECT_EQ(GetParam(), Layout::kCompact) << populated->reason();
    EXPECT_THAT(populated->reason(),
                HasSubstr("not on the 64 KiB allocation granularity"));
  }
}

TEST_P(PopulateWritableTest, SimulatorRecordsOneCallPerWritableFileRange) {
  const std::string path = WriteImage(GetParam());
  testing::ForEachMachineGranuleRuns(
      [&](const SimulatedMachine&, testing::FaultInjectingBackend& backend) {
        LoadOptions options;
        options.shared_backend = &backend;
        std::unique_ptr<LoadedImage> lazy = Load(path, options, false);
        ASSERT_NE(lazy, nullptr);
        EXPECT_EQ(backend.populate_calls(), 0u);
        std::unique_ptr<LoadedImage> populated = Load(path, options, true);
        ASSERT_NE(populated, nullptr);
        // Only .data's pages come from the file writable; .bss is left
        // alone. Segment by segment (a compact .bss off Windows'
        // granularity), .data's unit is copied in place: nothing
        // file-backed is writable.
        EXPECT_EQ(backend.populate_calls(),
                  populated->verdict().route == LoadRoute::kSharedWhole ? 1u
                                                                        : 0u)
            << populated->reason();
        ExpectSameBytesAndProtections(*lazy, *populated);
      });
}

TEST_P(PopulateWritableTest, FailedPopulateFailsTheLoadAndLeavesNothing) {
  const std::string path = WriteImage(GetParam());
  auto backend = testing::MakeFaultInjectingBackend(*FindSimulatedMachine("linux-x86_64"));
  LoadOptions options;
  options.shared_backend = backend.get();
  options.path = LoadOptions::PathChoice::kShared;
  uint64_t before = backend->calls();
  ASSERT_NE(Load(path, options, true), nullptr);
  const uint64_t calls = backend->calls() - before;
  int populate_failures = 0;
  for (uint64_t k = 1; k <= calls; ++k) {
    before = backend->populate_calls();
    backend->FailNthCallFromNow(k);
    options.relocation_base = kRelocationBase;
    options.populate_writable = true;
    absl::StatusOr<std::unique_ptr<LoadedImage>> image =
        LoadImage(path, options);
    ASSERT_FALSE(image.ok()) << "call " << k << " of " << calls;
    EXPECT_THAT(image.status().message(), HasSubstr(path));
    if (absl::StrContains(image.status().message(), "failure of populate")) {
      ++populate_failures;
    }
    EXPECT_EQ(backend->live_regions(), 0u) << "call " << k;
    EXPECT_EQ(backend->live_mappings(), 0u) << "call " << k;
  }
  EXPECT_EQ(populate_failures, 1);
}

INSTANTIATE_TEST_SUITE_P(Layouts, PopulateWritableTest,
                         ::testing::Values(Layout::kOneToOne, Layout::kCompact),
                         [](const ::testing::TestParamInfo<Layout>& info) {
                           return info.param == Layout::kOneToOne ? "OneToOne"
                                                                  : "Compact";
                         });

}  // namespace
}  // namespace granule
