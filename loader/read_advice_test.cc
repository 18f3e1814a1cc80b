// SPDX-License-Identifier: Apache-2.0
// The shared path's read-ahead advice: in the 1:1 layout (one mapping of the
// whole file, padding included) the mapping is advised "random" and each
// segment's pages "will need"; the compact layout, whose mappings hold no
// padding, is advised nothing; refused advice leaves the load as it was. (That
// the padding then stays out of the page cache is measured by
// //testing/bench:padding_bench: it depends on the disk's readahead.)
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "loader/writer/image_writer.h"
#include "loader/loaded_image.h"
#include "platform/memory/simulated_machines.h"
#include "testing/temp_file.h"
#include "testing/fault_injecting_backend.h"

namespace granule {
namespace {

// A read-only and a read-write segment, each followed by padding.
std::string WriteImage(Layout layout) {
  ImageSpec spec;
  spec.variant = ElfVariant{};
  spec.machine = elf::kMachineX86_64;
  spec.layout = layout;
  spec.sections = {
      {".rodata", SectionAccess::kRead, 16,
       granule::testing::PatternBytes(5000, 3), 0},
      {".data", SectionAccess::kReadWrite, 8,
       granule::testing::PatternBytes(3000, 5), 0},
  };
  const std::string path = granule::testing::TempPath(
      layout == Layout::kOneToOne ? "advice-1to1" : "advice-compact");
  EXPECT_TRUE(granule::WriteImage(spec, path).ok());
  return path;
}

class ReadAdviceTest : public ::testing::TestWithParam<Layout> {
 protected:
  // One advice for the whole-file mapping, one per segment; none when every
  // mapping holds only a segment's pages.
  uint64_t ExpectedAdvice() const {
    return GetParam() == Layout::kOneToOne ? 3 : 0;
  }
};

TEST_P(ReadAdviceTest, SimulatorRecordsAdviceOnlyForMappingsWithPadding) {
  const std::string path = WriteImage(GetParam());
  auto backend = testing::MakeFaultInjectingBackend(*FindSimulatedMachine("linux-x86_64"));
  LoadOptions options;
  options.shared_backend = backend.get();
  options.path = LoadOptions::PathChoice::kShared;
  options.read_advice = LoadOptions::ReadAdvice::kAlways;
  absl::StatusOr<std::unique_ptr<LoadedImage>> image = LoadImage(path, options);
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ(backend->advise_calls(), ExpectedAdvice());
  const LoadedImage::LoadedSegment& data = (*image)->segments()[1];
  EXPECT_EQ(std::vector<uint8_t>(data.data, data.data + 3000),
            granule::testing::PatternBytes(3000, 5));

  options.copy_file_bytes = true;  // Nothing is mapped from the file.
  const uint64_t before = backend->advise_calls();
  ASSERT_TRUE(LoadImage(path, options).ok());
  EXPECT_EQ(backend->advise_calls(), before);
}

// Advice is a hint: refused, the load still succeeds with the same bytes.
TEST_P(ReadAdviceTest, RefusedAdviceLeavesTheLoadAsItWas) {
  const std::string path = WriteImage(GetParam());
  auto backend = testing::MakeFaultInjectingBackend(*FindSimulatedMachine("linux-x86_64"));
  LoadOptions options;
  options.shared_backend = backend.get();
  options.path = LoadOptions::PathChoice::kShared;
  options.read_advice = LoadOptions::ReadAdvice::kAlways;
  backend->FailAdvice(true);
  {
    absl::StatusOr<std::unique_ptr<LoadedImage>> image =
        LoadImage(path, options);
    ASSERT_TRUE(image.ok()) << image.status();
    // The first refusal (the whole mapping's) stops the rest.
    EXPECT_EQ(backend->advise_calls(), ExpectedAdvice() > 0 ? 1u : 0u);
    const LoadedImage::LoadedSegment& data = (*image)->segments()[1];
    EXPECT_EQ(std::vector<uint8_t>(data.data, data.data + 3000),
              granule::testing::PatternBytes(3000, 5));
  }
  EXPECT_EQ(backend->live_regions(), 0u);
  EXPECT_EQ(backend->live_mappings(), 0u);
}

// By default a file whose first bytes are in the page cache is not advised
// again; where the system cannot tell, every load advises.
TEST_P(ReadAdviceTest, WarmFilesAreNotAdvisedAgain) {
  const std::string path = WriteImage(GetParam());
  absl::StatusOr<File> file = File::OpenForReading(path);
  ASSERT_TRUE(file.ok()) << file.status();
  std::vector<uint8_t> first(64);
  ASSERT_TRUE(file->ReadAt(0, absl::MakeSpan(first)).ok());
  absl::StatusOr<bool> cached = file->ReadAtIfCached(0, absl::MakeSpan(first));
  ASSERT_TRUE(cached.ok()) << cached.status();
  auto backend = testing::MakeFaultInjectingBackend(*FindSimulatedMachine("linux-x86_64"));
  LoadOptions options;
  options.shared_backend = backend.get();
  options.path = LoadOptions::PathChoice::kShared;
  ASSERT_TRUE(LoadImage(path, options).ok());
  EXPECT_EQ(backend->advise_calls(), *cached ? 0 : ExpectedAdvice())
      << (*cached ? "cached" : "the system cannot tell");
  // An open file (the C API's descriptor loads) is probed the same way.
  uint64_t before = backend->advise_calls();
  ASSERT_TRUE(LoadImage(*file, options).ok());
  EXPECT_EQ(backend->advise_calls() - before, *cached ? 0 : ExpectedAdvice());
  // Headers read by the caller: the loader cannot tell, and advises.
  absl::StatusOr<ElfImage> elf = ReadElfImage(*file);
  ASSERT_TRUE(elf.ok()) << elf.status();
  before = backend->advise_calls();
  ASSERT_TRUE(LoadImage(*file, *std::move(elf), options).ok());
  EXPECT_EQ(backend->advise_calls() - before, ExpectedAdvice());
}

INSTANTIATE_TEST_SUITE_P(Layouts, ReadAdviceTest,
                         ::testing::Values(Layout::kOneToOne, Layout::kCompact),
                         [](const ::testing::TestParamInfo<Layout>& info) {
                           return info.param == Layout::kOneToOne ? "OneToOne"
                                                                  : "Compact";
                         });

}  // namespace
}  // namespace granule
