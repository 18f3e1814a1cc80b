// SPDX-License-Identifier: Apache-2.0
// LoadOptions::map_whole_file loads map the file before reading its headers
// (loader/whole_file_first.h): on every simulated machine the bytes are the
// heap copy's; a plan that places the file otherwise (a larger p_align, a
// geometry that copies) releases the first mapping and loads as usual; a
// failing call of the first mapping is absorbed by that usual load, any
// later one fails the load naming the file; nothing stays mapped.
#include <algorithm>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loader/elf/elf_image.h"
#include "loader/loaded_image.h"
#include "loader/writer/image_writer.h"
#include "platform/file.h"
#include "platform/memory/simulated_machines.h"
#include "testing/fault_injecting_backend.h"
#include "testing/temp_file.h"

namespace granule {
namespace {

using ::testing::HasSubstr;

constexpr uint64_t kRelocationBase = 0x40000000;

// A Guile-shaped image: R constants, RW data whose first words point into
// them, the section headers and their names after the segments.
std::string WriteSample(const std::string& stem,
                        uint64_t segment_alignment = elf::kImageAlignment) {
  ImageSpec spec;
  spec.segment_alignment = segment_alignment;
  spec.sections = {
      {".rodata", SectionAccess::kRead, 16,
       granule::testing::PatternBytes(5000, 3), 0},
      {".data", SectionAccess::kReadWrite, 16,
       granule::testing::PatternBytes(9000, 5), 0},
  };
  spec.relocations = {{{".data", 0}, {".rodata", 0}},
                      {{".data", 4096}, {".rodata", 100}}};
  const std::string path = granule::testing::TempPath(stem);
  EXPECT_TRUE(WriteImage(spec, path).ok());
  return path;
}

std::vector<uint8_t> FileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

LoadOptions WholeFile(MemoryBackend* backend) {
  LoadOptions options;
  options.map_whole_file = true;
  options.shared_backend = backend;
  options.relocation_base = kRelocationBase;
  return options;
}

// Every byte of the file as the image holds it: the file's, except the
// relocated words, which must equal the heap copy's.
void ExpectSameAsHeapCopy(const LoadedImage& image, const std::string& path) {
  LoadOptions heap_options = WholeFile(nullptr);
  heap_options.path = LoadOptions::PathChoice::kMalloc;
  absl::StatusOr<std::unique_ptr<LoadedImage>> heap =
      LoadImage(path, heap_options);
  ASSERT_TRUE(heap.ok()) << heap.status();
  const absl::Span<const uint8_t> bytes = image.file_bytes();
  const absl::Span<const uint8_t> expected = (*heap)->file_bytes();
  ASSERT_EQ(bytes.size(), expected.size());
  EXPECT_TRUE(std::equal(bytes.begin(), bytes.end(), expected.begin()));
  EXPECT_EQ(bytes.size(), FileBytes(path).size());
  EXPECT_EQ(image.relocations_applied(), 2u);
}

TEST(WholeFileFirstTest, EveryMachineLoadsTheHeapCopysBytes) {
  const std::string path = WriteSample("whole");
  for (const SimulatedMachine& machine : SimulatedMachines()) {
    if (!machine.granule_runs_this_view) continue;
    SCOPED_TRACE(machine.name);
    auto backend = granule::testing::MakeFaultInjectingBackend(machine);
    {
      absl::StatusOr<std::unique_ptr<LoadedImage>> image =
          LoadImage(path, WholeFile(backend.get()));
      ASSERT_TRUE(image.ok()) << image.status();
      ExpectSameAsHeapCopy(**image, path);
      // The shared path keeps one region; a refused one kept none of its own.
      const bool shared = (*image)->path() == LoadPath::kShared;
      EXPECT_EQ(backend->live_regions(), shared ? 1u : 0u);
      EXPECT_NE((*image)->elf().FindSection(".data"), nullptr);
    }
    EXPECT_EQ(backend->live_regions(), 0u);
    EXPECT_EQ(backend->live_mappings(), 0u);
  }
}

// 256 KiB pages copy a 64 KiB-aligned image; a 2 MiB p_align is more than
// the first mapping's alignment. Either way that mapping is released.
TEST(WholeFileFirstTest, APlanThatPlacesTheFileOtherwiseReleasesTheMapping) {
  struct Case {
    const char* machine;
    uint64_t segment_alignment;
    LoadPath path;
  };
  for (const Case& c : {Case{"hypothetical-256k", elf::kImageAlignment,
                             LoadPath::kMalloc},
                        Case{"linux-x86_64", uint64_t{2} << 20,
                             LoadPath::kShared}}) {
    SCOPED_TRACE(c.machine);
    const std::string path = WriteSample("other", c.segment_alignment);
    auto backend = granule::testing::MakeFaultInjectingBackend(
        *FindSimulatedMachine(c.machine));
    {
      absl::StatusOr<std::unique_ptr<LoadedImage>> image =
          LoadImage(path, WholeFile(backend.get()));
      ASSERT_TRUE(image.ok()) << image.status();
      EXPECT_EQ((*image)->path(), c.path);
      ExpectSameAsHeapCopy(**image, path);
      EXPECT_EQ(backend->live_regions(), c.path == LoadPath::kShared ? 1u : 0u);
    }
    EXPECT_EQ(backend->live_regions(), 0u);
    EXPECT_EQ(backend->live_mappings(), 0u);
  }
}

// The first two calls (the region, the file mapped into it) are the
// early mapping's: failing one leaves the usual load to run. Any later call
// fails the load, naming the file, and leaves nothing.
TEST(WholeFileFirstTest, EveryFailedCallLeavesNothing) {
  const std::string path = WriteSample("faults");
  auto backend = granule::testing::MakeFaultInjectingBackend(
      *FindSimulatedMachine("linux-x86_64"));
  const LoadOptions options = WholeFile(backend.get());
  uint64_t before = backend->calls();
  ASSERT_TRUE(LoadImage(path, options).ok());
  const uint64_t calls = backend->calls() - before;
  ASSERT_GE(calls, 3u);
  for (uint64_t k = 1; k <= calls; ++k) {
    SCOPED_TRACE(k);
    backend->FailNthCallFromNow(k);
    {
      absl::StatusOr<std::unique_ptr<LoadedImage>> image =
          LoadImage(path, options);
      if (k <= 2) {
        ASSERT_TRUE(image.ok()) << image.status();
        ExpectSameAsHeapCopy(**image, path);
      } else {
        ASSERT_FALSE(image.ok());
        EXPECT_THAT(image.status().message(), HasSubstr(path));
      }
    }
    backend->FailNthCallFromNow(0);
    EXPECT_EQ(backend->live_regions(), 0u);
    EXPECT_EQ(backend->live_mappings(), 0u);
  }
}

// Headers read from the mapping are judged as read from the file, with the
// same error, and the mapping is released.
TEST(WholeFileFirstTest, AnInvalidImageIsTheReadersErrorAndLeavesNothing) {
  std::vector<uint8_t> bytes = FileBytes(WriteSample("valid"));
  bytes[4] = 7;  // e_ident[EI_CLASS].
  absl::StatusOr<std::string> path =
      granule::testing::WriteTempFile("invalid", bytes);
  ASSERT_TRUE(path.ok());
  absl::StatusOr<File> file = File::OpenForReading(*path);
  ASSERT_TRUE(file.ok());
  const absl::StatusOr<ElfImage> read = ReadElfImage(*file);
  ASSERT_FALSE(read.ok());
  auto backend = granule::testing::MakeFaultInjectingBackend(
      *FindSimulatedMachine("linux-x86_64"));
  absl::StatusOr<std::unique_ptr<LoadedImage>> image =
      LoadImage(*path, WholeFile(backend.get()));
  ASSERT_FALSE(image.ok());
  EXPECT_EQ(image.status(), read.status());
  EXPECT_THAT(image.status().message(), HasSubstr("EI_CLASS"));
  EXPECT_EQ(backend->live_regions(), 0u);
  EXPECT_EQ(backend->live_mappings(), 0u);
}

// The C API's entry for an open descriptor takes the same route: a window
// of a file loads as the file does.
TEST(WholeFileFirstTest, AnOpenFileLoadsAsItsPathDoes) {
  const std::string path = WriteSample("open");
  absl::StatusOr<File> file = File::OpenForReading(path);
  ASSERT_TRUE(file.ok());
  auto backend = granule::testing::MakeFaultInjectingBackend(
      *FindSimulatedMachine("linux-ppc64le"));
  absl::StatusOr<std::unique_ptr<LoadedImage>> image =
      LoadImage(*file, WholeFile(backend.get()));
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ((*image)->path(), LoadPath::kShared);
  ExpectSameAsHeapCopy(**image, path);
}

}  // namespace
}  // namespace granule
