// SPDX-License-Identifier: Apache-2.0
// LoadImages: every good file loads, every bad one fails alone naming
// itself, the batch shares the caller's arena if any and joins the registry
// together.
#include "loader/image_batch.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loader/image_registry.h"
#include "loader/elf/relocation_types.h"
#include "platform/memory/address_arena.h"
#include "platform/memory/simulated_backend.h"
#include "testing/raw_elf.h"
#include "testing/temp_file.h"

namespace granule {
namespace {

using ::testing::HasSubstr;

std::string WriteGood() {
  absl::StatusOr<std::string> path = granule::testing::WriteTempFile(
      "good", granule::testing::RelocatedImage(
                  ElfVariant{true, false}, granule::testing::RawRelocations::kRela,
                  elf::kMachineNone, kGranuleRelative)
                  .Encode());
  EXPECT_TRUE(path.ok()) << path.status();
  return path.value_or("");
}

std::string WriteGarbage() {
  absl::StatusOr<std::string> path = granule::testing::WriteTempFile(
      "garbage", granule::testing::PatternBytes(100));
  EXPECT_TRUE(path.ok()) << path.status();
  return path.value_or("");
}

TEST(ImageBatchTest, BadFilesFailAloneAndNameThemselves) {
  const std::string missing = granule::testing::TempPath("missing");
  const std::vector<std::string> paths = {WriteGood(), WriteGarbage(),
                                          WriteGood(), missing, WriteGood()};
  const size_t registered = ImageRegistry::Global().size();
  {
    auto images = LoadImages(paths);
    ASSERT_EQ(images.size(), paths.size());
    for (size_t i : {0, 2, 4}) {
      ASSERT_TRUE(images[i].ok()) << images[i].status();
      EXPECT_EQ((*images[i])->elf().path, paths[i]);
      EXPECT_EQ(ImageRegistry::Global().Find((*images[i])->begin()),
                images[i]->get());
      EXPECT_EQ((*images[i])->relocations_applied(), 2u);
    }
    EXPECT_FALSE(images[1].ok());
    EXPECT_THAT(images[1].status().message(), HasSubstr(paths[1]));
    EXPECT_FALSE(images[3].ok());
    EXPECT_EQ(images[3].status().code(), absl::StatusCode::kNotFound);
    EXPECT_THAT(images[3].status().message(), HasSubstr(missing));
    EXPECT_EQ(ImageRegistry::Global().size(), registered + 3);
  }
  EXPECT_EQ(ImageRegistry::Global().size(), registered);
}

// Three images of which the second's init hook fails, on a simulated
// machine: only that image fails, named.
struct InitFailure {
  SimulatedBackend backend{*PageGeometry::Create(4096, 4096)};
  std::vector<std::string> paths = {WriteGood(), WriteGood(), WriteGood()};
  int calls = 0;

  LoadOptions Options() {
    LoadOptions options;
    options.shared_backend = &backend;
    options.path = LoadOptions::PathChoice::kShared;
    options.init = [this](const LoadedImage&) {
      return ++calls == 2 ? absl::AbortedError("second init refused")
                          : absl::OkStatus();
    };
    return options;
  }

  void ExpectSecondFailedAlone(
      const std::vector<absl::StatusOr<std::unique_ptr<LoadedImage>>>&
          images) {
    ASSERT_TRUE(images[0].ok()) << images[0].status();
    ASSERT_TRUE(images[2].ok()) << images[2].status();
    ASSERT_FALSE(images[1].ok());
    EXPECT_EQ(images[1].status().code(), absl::StatusCode::kAborted);
    EXPECT_EQ(images[1].status().message(),
              paths[1] + ": second init refused");
  }
};

// Without an arena each image has its own region; the ledger shows nothing
// left once the images are gone.
TEST(ImageBatchTest, ARegionPerImageAndNothingLeft) {
  InitFailure batch;
  {
    auto images = LoadImages(batch.paths, batch.Options());
    batch.ExpectSecondFailedAlone(images);
    EXPECT_EQ(batch.backend.live_regions(), 2u);
  }
  EXPECT_EQ(batch.backend.live_regions(), 0u);
  EXPECT_EQ(batch.backend.live_mappings(), 0u);
}

// With the caller's arena the images are its slots: one region for the
// batch, and the failed image's slot is reused.
TEST(ImageBatchTest, OneArenaAndNothingLeft) {
  InitFailure batch;
  LoadOptions options = batch.Options();
  options.arena = AddressArena::Create(batch.backend);
  {
    auto images = LoadImages(batch.paths, options);
    batch.ExpectSecondFailedAlone(images);
    // The arena's region and two slots.
    EXPECT_EQ(batch.backend.live_regions(), 3u);
    // The failed image's slot, next to the first image's, was reused.
    const uintptr_t slot =
        ((*images[0])->end() - (*images[0])->begin() + 0xffff) & ~0xffff;
    EXPECT_EQ((*images[2])->begin(), (*images[0])->begin() + slot);
  }
  options.arena.reset();
  EXPECT_EQ(batch.backend.live_regions(), 0u);
  EXPECT_EQ(batch.backend.live_mappings(), 0u);
}

TEST(ImageBatchTest, EmptyBatch) { EXPECT_TRUE(LoadImages({}).empty()); }

}  // namespace
}  // namespace granule
