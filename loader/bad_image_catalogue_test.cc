// SPDX-License-Identifier: Apache-2.0
// Every case of the bad-input catalogue (testing/bad_images.h) through the
// entry point that must refuse it: the reader for header cases, LoadImage on
// both paths on a simulated machine and on the host for load cases, the
// shared path for alignments only the heap copy can load. Each error starts
// with the file's path, contains the case's message, and leaves no region or
// mapping behind.
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loader/elf/elf_image.h"
#include "loader/loaded_image.h"
#include "loader/relocator.h"
#include "platform/memory/malloc_backend.h"
#include "platform/memory/simulated_backend.h"
#include "testing/bad_images.h"
#include "testing/temp_file.h"

namespace granule::testing {
// gtest would print a case's bytes; its name says more.
void PrintTo(const BadImage& bad, std::ostream* os) { *os << bad.name; }
}  // namespace granule::testing

namespace granule {
namespace {

using ::granule::testing::BadImage;
using ::granule::testing::BadImages;
using ::granule::testing::BadImageStage;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using Choice = LoadOptions::PathChoice;

PageGeometry Geometry(uint64_t page, uint64_t granularity) {
  return *PageGeometry::Create(page, granularity);
}

void ExpectNothingLeft(const MemoryBackend& backend, const std::string& where) {
  EXPECT_EQ(backend.live_regions(), 0u) << where;
  EXPECT_EQ(backend.live_mappings(), 0u) << where;
}

class BadImageCatalogueTest : public ::testing::TestWithParam<BadImage> {
 protected:
  void SetUp() override {
    absl::StatusOr<std::string> path =
        granule::testing::WriteTempFile(GetParam().name, GetParam().bytes);
    ASSERT_TRUE(path.ok()) << path.status();
    path_ = *path;
    absl::StatusOr<MemoryBackend*> host = HostMemoryBackend();
    ASSERT_TRUE(host.ok()) << host.status();
    host_ = *host;
  }

  // The error names the file first, then the case's message.
  void ExpectRefusal(const absl::Status& status, absl::StatusCode code,
                     const std::string& where) {
    ASSERT_FALSE(status.ok()) << where << " accepted the image";
    EXPECT_EQ(status.code(), code) << where << ": " << status;
    EXPECT_THAT(std::string(status.message()), StartsWith(path_ + ": "))
        << where;
    EXPECT_THAT(std::string(status.message()), HasSubstr(GetParam().expected))
        << where;
  }

  // A load that must fail with the case's message on `backend`.
  void ExpectLoadRefused(const LoadOptions& options, MemoryBackend& backend,
                         const std::string& where) {
    absl::StatusOr<std::unique_ptr<LoadedImage>> image =
        LoadImage(path_, options);
    ExpectRefusal(image.status(), absl::StatusCode::kInvalidArgument, where);
    ExpectNothingLeft(backend, where);
  }

  // What `granule check` runs: the relocation dry run, then the plan.
  void ExpectFoundWithoutLoading(const File& file, const ElfImage& elf) {
    const absl::Status relocations = CheckRelocations(file, elf);
    if (!relocations.ok()) {
      ExpectRefusal(relocations, absl::StatusCode::kInvalidArgument,
                    "without loading");
      return;
    }
    // The verdict's errors leave naming the file to the command.
    const absl::Status planned = CheckLoad(elf, Geometry(4096, 4096)).status();
    ExpectRefusal(absl::Status(planned.code(),
                               absl::StrCat(path_, ": ", planned.message())),
                  absl::StatusCode::kInvalidArgument, "without loading");
  }

  void ExpectRefusedOnBothPathsEverywhere() {
    SimulatedBackend machine(Geometry(4096, 4096));
    SimulatedBackend heap(Geometry(1, 1));
    LoadOptions options;
    options.path = Choice::kShared;
    options.shared_backend = &machine;
    ExpectLoadRefused(options, machine, "simulated 4 KiB machine, shared");
    options = {};
    options.path = Choice::kMalloc;
    options.malloc_backend = &heap;
    ExpectLoadRefused(options, heap, "simulated heap, malloc path");
    options = {};
    options.path = Choice::kShared;
    ExpectLoadRefused(options, *host_, "host, shared path");
    options = {};
    options.path = Choice::kMalloc;
    ExpectLoadRefused(options, HeapMemoryBackend(), "host heap, malloc path");
  }

  void ExpectOnlyTheMallocPath() {
    SimulatedBackend machine(Geometry(4096, 4096));
    LoadOptions options;
    options.path = Choice::kShared;
    options.shared_backend = &machine;
    absl::StatusOr<std::unique_ptr<LoadedImage>> image =
        LoadImage(path_, options);
    ExpectRefusal(image.status(), absl::StatusCode::kFailedPrecondition,
                  "simulated 4 KiB machine, shared path required");
    EXPECT_THAT(std::string(image.status().message()),
                HasSubstr("the shared path is required but"));
    ExpectNothingLeft(machine, "simulated 4 KiB machine");

    // The host's reason depends on its page size; the refusal does not.
    options.shared_backend = nullptr;
    image = LoadImage(path_, options);
    ASSERT_FALSE(image.ok()) << "the host's shared path accepted the image";
    EXPECT_THAT(std::string(image.status().message()),
                StartsWith(path_ + ": the shared path is required but"));
    if (host_->geometry().page_size() == 4096 &&
        host_->geometry().allocation_granularity() == 4096) {
      EXPECT_THAT(std::string(image.status().message()),
                  HasSubstr(GetParam().expected));
    }
    ExpectNothingLeft(*host_, "host, shared path required");

    // Automatic choice: the contract says such images still load, mapped
    // segment by segment where the machine allows or else copied, and the
    // reason is given.
    options = {};
    options.shared_backend = &machine;
    image = LoadImage(path_, options);
    ASSERT_TRUE(image.ok()) << image.status();
    const LoadVerdict& verdict = (*image)->verdict();
    EXPECT_NE(verdict.route, LoadRoute::kSharedWhole);
    EXPECT_EQ((*image)->path() == LoadPath::kMalloc,
              verdict.route == LoadRoute::kCopy);
    EXPECT_EQ(verdict.route == LoadRoute::kPerSegment,
              verdict.bytes_mapped > 0);
    EXPECT_THAT((*image)->reason(), HasSubstr(GetParam().expected));
    image->reset();
    ExpectNothingLeft(HeapMemoryBackend(), "after releasing the heap copy");
    ExpectNothingLeft(machine, "after releasing the per-segment load");
  }

  std::string path_;
  MemoryBackend* host_ = nullptr;
};

TEST_P(BadImageCatalogueTest, RefusedWithItsMessage) {
  const BadImage& bad = GetParam();
  absl::StatusOr<File> file = File::OpenForReading(path_);
  ASSERT_TRUE(file.ok()) << file.status();
  absl::StatusOr<ElfImage> elf = ReadElfImage(*file);
  switch (bad.stage) {
    case BadImageStage::kRead: {
      ExpectRefusal(elf.status(), absl::StatusCode::kInvalidArgument,
                    "ReadElfImage");
      ExpectRefusal(LoadImage(path_).status(),
                    absl::StatusCode::kInvalidArgument, "LoadImage");
      ExpectNothingLeft(*host_, "host");
      break;
    }
    case BadImageStage::kLoad:
      ASSERT_TRUE(elf.ok())
          << "a load case must pass the reader: " << elf.status();
      ExpectFoundWithoutLoading(*file, *elf);
      ExpectRefusedOnBothPathsEverywhere();
      break;
    case BadImageStage::kLoadAtBase:
      ASSERT_TRUE(elf.ok()) << elf.status();
      EXPECT_TRUE(CheckRelocations(*file, *elf).ok());
      ExpectRefusedOnBothPathsEverywhere();
      break;
    case BadImageStage::kSharedPath:
      ASSERT_TRUE(elf.ok()) << elf.status();
      ExpectOnlyTheMallocPath();
      break;
  }
}

INSTANTIATE_TEST_SUITE_P(Catalogue, BadImageCatalogueTest,
                         ::testing::ValuesIn(BadImages()),
                         [](const ::testing::TestParamInfo<BadImage>& info) {
                           return info.param.name;
                         });

TEST(BadImageCatalogue, HasAtLeastFiftyUniquelyNamedCases) {
  const std::vector<BadImage>& cases = BadImages();
  EXPECT_GE(cases.size(), 50u);
  std::set<std::string> names;
  std::set<BadImageStage> stages;
  for (const BadImage& bad : cases) {
    EXPECT_TRUE(names.insert(bad.name).second) << "duplicate " << bad.name;
    // A file name and a test name on every OS. (gtest's regular expressions
    // on Windows have no character classes, hence no MatchesRegex.)
    EXPECT_EQ(
        bad.name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_"),
        std::string::npos)
        << bad.name;
    EXPECT_FALSE(bad.description.empty()) << bad.name;
    // A message specific enough to name a field and a value.
    EXPECT_GE(bad.expected.size(), 20u) << bad.name;
    stages.insert(bad.stage);
  }
  EXPECT_EQ(stages.size(), 4u) << "every stage has cases";
}

}  // namespace
}  // namespace granule
