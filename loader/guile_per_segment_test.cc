// SPDX-License-Identifier: Apache-2.0
// Debian's Guile .go files on a simulated machine with 256 KiB pages, larger
// than their 64 KiB alignment: the whole path refuses them all, and the
// per-segment route maps what it can. Each such load must hold the same
// bytes as the heap copy, map some bytes from the file and leave nothing
// behind. Prints the bytes the route shares against a whole-image copy.
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "loader/image_registry.h"
#include "loader/load_plan.h"
#include "loader/loaded_image.h"
#include "platform/memory/malloc_backend.h"
#include "platform/memory/simulated_machines.h"
#include "testing/guile_corpus.h"

namespace granule {
namespace {

using ::granule::testing::CorpusFile;
using ::granule::testing::TheGuileCorpus;

constexpr size_t kMinimumCorpus = 300;
// Relocate both loads as if at one address, so their bytes compare.
constexpr uint64_t kRelocationBase = 0x40000000;

struct Totals {
  size_t files = 0, per_segment = 0, copied = 0;
  uint64_t mapped_bytes = 0, copied_bytes = 0, whole_copy_bytes = 0;
};

void ExpectSameBytes(const LoadedImage& image, const LoadedImage& reference,
                     const std::string& path) {
  ASSERT_EQ(image.segments().size(), reference.segments().size()) << path;
  for (size_t i = 0; i < image.segments().size(); ++i) {
    const LoadedImage::LoadedSegment& a = image.segments()[i];
    const LoadedImage::LoadedSegment& b = reference.segments()[i];
    ASSERT_EQ(a.size, b.size) << path;
    EXPECT_EQ(std::memcmp(a.data, b.data, a.size), 0)
        << path << ": segment " << a.header->index << " differs";
    EXPECT_EQ(a.protection, b.protection) << path;
  }
}

TEST(GuilePerSegmentTest, TwoHundredFiftySixKiBPagesMapWhatFits) {
  const std::vector<CorpusFile>& files = TheGuileCorpus().files;
  ASSERT_GE(files.size(), kMinimumCorpus)
      << TheGuileCorpus().MissingMessage(kMinimumCorpus);
  const SimulatedMachine* machine = FindSimulatedMachine("hypothetical-256k");
  ASSERT_NE(machine, nullptr);
  std::unique_ptr<SimulatedBackend> backend = MakeSimulatedBackend(*machine);
  const size_t heap_regions = HeapMemoryBackend().live_regions();
  const size_t registered = ImageRegistry::Global().size();
  Totals t;
  for (const CorpusFile& file : files) {
    LoadOptions options;
    options.shared_backend = backend.get();
    options.relocation_base = kRelocationBase;
    absl::StatusOr<std::unique_ptr<LoadedImage>> image =
        LoadImage(file.path, options);
    ASSERT_TRUE(image.ok()) << image.status();
    options.path = LoadOptions::PathChoice::kMalloc;
    absl::StatusOr<std::unique_ptr<LoadedImage>> reference =
        LoadImage(file.path, options);
    ASSERT_TRUE(reference.ok()) << reference.status();
    const LoadVerdict& verdict = (*image)->verdict();
    ++t.files;
    t.whole_copy_bytes += FilePageBytes((*image)->elf(), 1);
    EXPECT_NE(verdict.route, LoadRoute::kSharedWhole) << file.path;
    if (verdict.route == LoadRoute::kPerSegment) {
      ++t.per_segment;
      EXPECT_GT(verdict.bytes_mapped, 0u) << file.path;
      EXPECT_EQ(&(*image)->backend(), backend.get()) << file.path;
      t.mapped_bytes += verdict.bytes_mapped;
      t.copied_bytes += verdict.bytes_copied;
    } else {
      ++t.copied;
    }
    ExpectSameBytes(**image, **reference, file.path);
  }
  EXPECT_EQ(backend->live_regions(), 0u);
  EXPECT_EQ(backend->live_mappings(), 0u);
  EXPECT_EQ(HeapMemoryBackend().live_regions(), heap_regions);
  EXPECT_EQ(ImageRegistry::Global().size(), registered);
  EXPECT_GT(t.per_segment, 0u);
  EXPECT_GT(t.mapped_bytes, 0u);
  std::printf(
      "Guile corpus on 256 KiB pages: %zu files, %zu per segment, %zu "
      "copied whole;\n  per-segment route: %.1f MiB mapped from the file "
      "(shareable), %.1f MiB copied;\n  whole-image copy: 0 bytes shared, "
      "%.1f MiB copied\n",
      t.files, t.per_segment, t.copied, t.mapped_bytes / 1048576.0,
      t.copied_bytes / 1048576.0, t.whole_copy_bytes / 1048576.0);
}

}  // namespace
}  // namespace granule
