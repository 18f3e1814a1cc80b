// SPDX-License-Identifier: Apache-2.0
// Writes the fuzzers' seed corpus into a directory (testing/fuzz.sh runs it):
// granule's writer outputs and up to 30 of Debian's Guile .go files.
// Usage: make_seeds OUT_DIR
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <vector>

#include "testing/fuzz/seeds.h"

namespace {

constexpr size_t kGuileSeeds = 30;

bool WriteSeeds(const std::filesystem::path& dir,
                const std::vector<granule::fuzz::Seed>& seeds) {
  for (const granule::fuzz::Seed& seed : seeds) {
    std::ofstream out(dir / seed.name, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(seed.bytes.data()),
              static_cast<std::streamsize>(seed.bytes.size()));
    if (!out) {
      std::fprintf(stderr, "make_seeds: cannot write %s\n",
                   (dir / seed.name).c_str());
      return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_seeds OUT_DIR\n");
    return 2;
  }
  std::error_code error;
  std::filesystem::create_directories(argv[1], error);
  auto writer = granule::fuzz::WriterSeeds();
  auto guile = granule::fuzz::GuileSeeds(kGuileSeeds);
  for (const absl::Status& status : {writer.status(), guile.status()}) {
    if (!status.ok()) {
      std::fprintf(stderr, "make_seeds: %s\n", status.ToString().c_str());
      return 1;
    }
  }
  if (!WriteSeeds(argv[1], *writer) || !WriteSeeds(argv[1], *guile)) return 1;
  std::printf("make_seeds: %zu writer images and %zu Guile files in %s\n",
              writer->size(), guile->size(), argv[1]);
  return 0;
}
