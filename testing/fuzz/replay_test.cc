// SPDX-License-Identifier: Apache-2.0
// Replays the seed corpus and every committed regression input of one fuzz
// target (linked in) through its LLVMFuzzerTestOneInput: a crash, a sanitizer
// report or a failed ledger check ends the process and fails the test.
// Usage: <target>_replay_test REGRESSION_DIR
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "loader/elf/elf_image.h"
#include "testing/fuzz/fuzz_input.h"
#include "testing/fuzz/seeds.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace granule::fuzz {
namespace {

std::string regression_dir;

// Seeds the reader refuses would only exercise its first checks.
void ExpectReaderAccepts(const Seed& seed) {
  absl::StatusOr<File> file =
      FileWithBytes(seed.bytes.data(), seed.bytes.size());
  ASSERT_TRUE(file.ok()) << file.status();
  absl::StatusOr<ElfImage> image = ReadElfImage(*file);
  EXPECT_TRUE(image.ok()) << seed.name << ": " << image.status();
}

size_t Replay(const std::vector<Seed>& seeds) {
  for (const Seed& seed : seeds) {
    ExpectReaderAccepts(seed);
    LLVMFuzzerTestOneInput(seed.bytes.data(), seed.bytes.size());
  }
  return seeds.size();
}

TEST(ReplayTest, WriterSeedsOfEveryVariantLayoutAndFormat) {
  absl::StatusOr<std::vector<Seed>> seeds = WriterSeeds();
  ASSERT_TRUE(seeds.ok()) << seeds.status();
  EXPECT_EQ(Replay(*seeds), 4u * 2u * 3u);
}

TEST(ReplayTest, GuileSeedsOfBothVersions) {
  absl::StatusOr<std::vector<Seed>> seeds = GuileSeeds(30);
  ASSERT_TRUE(seeds.ok()) << seeds.status();
  EXPECT_EQ(Replay(*seeds), 30u);
}

TEST(ReplayTest, CommittedRegressions) {
  namespace fs = std::filesystem;
  size_t ran = 0;
  std::error_code error;
  if (fs::is_directory(regression_dir, error)) {
    for (const fs::directory_entry& entry :
         fs::directory_iterator(regression_dir, error)) {
      std::ifstream in(entry.path(), std::ios::binary);
      const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                       std::istreambuf_iterator<char>());
      LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
      ++ran;
    }
  }
  // No directory is no regressions yet; the count goes to the log.
  std::printf("replayed %zu regression inputs from %s\n", ran,
              regression_dir.c_str());
}

}  // namespace
}  // namespace granule::fuzz

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s REGRESSION_DIR\n", argv[0]);
    return 2;
  }
  granule::fuzz::regression_dir = argv[1];
  return RUN_ALL_TESTS();
}
