// SPDX-License-Identifier: Apache-2.0
// The pages a relocation table runs over densely are populated before it is
// applied, on a shared load only: one call where the places cover many
// pages, none for a sparse or small table, none more when populate_writable
// has done it already; a failing call fails the load, naming the file and
// leaving nothing. The relocated words are the same either way.
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loader/elf/byte_order.h"
#include "loader/loaded_image.h"
#include "loader/writer/image_writer.h"
#include "platform/memory/simulated_machines.h"
#include "testing/fault_injecting_backend.h"
#include "testing/temp_file.h"

namespace granule {
namespace {

using ::testing::HasSubstr;

constexpr uint64_t kRelocationBase = 0x40000000;
// Over kMinPagesToPopulate pages on every simulated machine, 256 KiB pages
// among them, wherever .data starts in its first page.
constexpr uint64_t kDataSize = 8 << 20;

// .data of kDataSize bytes with a relocated word every `stride` bytes.
std::string WriteImage(RelocationFormat format, uint64_t stride,
                       const std::string& stem) {
  ImageSpec spec;
  spec.machine = elf::kMachineX86_64;
  spec.relocation_format = format;
  spec.sections = {
      {".rodata", SectionAccess::kRead, 16,
       granule::testing::PatternBytes(4096, 3), 0},
      {".data", SectionAccess::kReadWrite, 4096,
       std::vector<uint8_t>(kDataSize, 0), 0},
  };
  for (uint64_t at = 0; at < kDataSize; at += stride) {
    spec.relocations.push_back({{".data", at}, {".rodata", at % 4096}});
  }
  const std::string path = granule::testing::TempPath(stem);
  EXPECT_TRUE(granule::WriteImage(spec, path).ok());
  return path;
}

absl::StatusOr<std::unique_ptr<LoadedImage>> Load(const std::string& path,
                                                  LoadOptions options) {
  options.relocation_base = kRelocationBase;
  return LoadImage(path, options);
}

// The words a relocation every `stride` bytes of .data should hold.
void ExpectRelocated(const LoadedImage& image, uint64_t stride) {
  absl::StatusOr<absl::Span<const uint8_t>> data = image.SectionBytes(".data");
  ASSERT_TRUE(data.ok()) << data.status();
  absl::StatusOr<absl::Span<const uint8_t>> rodata =
      image.SectionBytes(".rodata");
  ASSERT_TRUE(rodata.ok()) << rodata.status();
  const uint64_t rodata_address =
      reinterpret_cast<uintptr_t>(rodata->data()) - image.base();
  for (uint64_t at = 0; at < kDataSize; at += stride) {
    // The image is x86-64's: little-endian whatever the host's order.
    const uint64_t word =
        LoadUnsigned(data->data() + at, 8, /*big_endian=*/false);
    ASSERT_EQ(word, kRelocationBase + rodata_address + at % 4096) << at;
  }
  EXPECT_EQ(image.relocations_applied(), kDataSize / stride);
}

struct Case {
  const char* name;
  RelocationFormat format;
  uint64_t stride;
  bool dense;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class RelocationPagesTest : public ::testing::TestWithParam<Case> {};

TEST_P(RelocationPagesTest, PopulatesOnlyDenselyRelocatedPages) {
  const Case& c = GetParam();
  const std::string path = WriteImage(c.format, c.stride, c.name);
  testing::ForEachMachineGranuleRuns(
      [&](const SimulatedMachine&, testing::FaultInjectingBackend& backend) {
        LoadOptions options;
        options.shared_backend = &backend;
        absl::StatusOr<std::unique_ptr<LoadedImage>> image =
            Load(path, options);
        ASSERT_TRUE(image.ok()) << image.status();
        ExpectRelocated(**image, c.stride);
        const bool shared = (*image)->path() == LoadPath::kShared;
        EXPECT_EQ(backend.populate_calls(), shared && c.dense ? 1u : 0u);
        // populate_writable has populated every writable file page: no
        // second call for the same pages.
        options.populate_writable = true;
        const uint64_t before = backend.populate_calls();
        image = Load(path, options);
        ASSERT_TRUE(image.ok()) << image.status();
        ExpectRelocated(**image, c.stride);
        EXPECT_EQ(backend.populate_calls() - before, shared ? 1u : 0u);
      });
}

TEST_P(RelocationPagesTest, HostLoadRelocatesEveryPlace) {
  const Case& c = GetParam();
  const std::string path = WriteImage(c.format, c.stride, c.name);
  for (const bool populate_writable : {false, true}) {
    LoadOptions options;
    options.populate_writable = populate_writable;
    absl::StatusOr<std::unique_ptr<LoadedImage>> image = Load(path, options);
    ASSERT_TRUE(image.ok()) << image.status();
    ExpectRelocated(**image, c.stride);
  }
}

TEST_P(RelocationPagesTest, FailedPopulateFailsTheLoadAndLeavesNothing) {
  const Case& c = GetParam();
  if (!c.dense) GTEST_SKIP() << "nothing is populated";
  const std::string path = WriteImage(c.format, c.stride, c.name);
  auto backend = testing::MakeFaultInjectingBackend(*FindSimulatedMachine("linux-x86_64"));
  LoadOptions options;
  options.shared_backend = backend.get();
  options.path = LoadOptions::PathChoice::kShared;
  uint64_t before = backend->calls();
  ASSERT_TRUE(Load(path, options).ok());
  const uint64_t calls = backend->calls() - before;
  int populate_failures = 0;
  for (uint64_t k = 1; k <= calls; ++k) {
    backend->FailNthCallFromNow(k);
    absl::StatusOr<std::unique_ptr<LoadedImage>> image = Load(path, options);
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

INSTANTIATE_TEST_SUITE_P(
    Tables, RelocationPagesTest,
    ::testing::Values(
        // A word every 64 bytes: every page written.
        Case{"rela_dense", RelocationFormat::kRela, 64, true},
        Case{"relr_dense", RelocationFormat::kRelr, 64, true},
        // A word every 512 KiB: fewer places than pages between them.
        Case{"rela_sparse", RelocationFormat::kRela, 512 << 10, false},
        Case{"relr_sparse", RelocationFormat::kRelr, 512 << 10, false}),
    [](const ::testing::TestParamInfo<Case>& info) { return info.param.name; });

}  // namespace
}  // namespace granule
