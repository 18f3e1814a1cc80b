// SPDX-License-Identifier: Apache-2.0
// Loads and releases every Guile 3.0 module Debian ships, a given number of
// passes, and exits: the process that loader/load_syscalls_test runs under
// `strace -c` to count the system calls of one load.
//
//   load_passes PASSES MODE
//
// MODE is `single` (LoadImage per file, default options) or
// `single_no_sections` (the same, the section table not read) or `arena` (LoadImage with one
// AddressArena for the process) or `arena_no_sections` (that, the section
// table not read) or `batch` (LoadImages over the whole corpus, then the
// release of every image). Prints the number of
// files per pass on stdout; any failed load is an error (exit 1).
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "loader/image_batch.h"
#include "loader/loaded_image.h"
#include "testing/guile_files.h"

namespace granule::testing {
namespace {

std::vector<std::string> GuileThreeFiles() {
  std::vector<std::string> paths;
  for (const CorpusFile& f : FindGuileFiles().files) {
    if (f.version == "3.0") paths.push_back(f.path);
  }
  return paths;
}

bool SinglePass(const std::vector<std::string>& paths,
                const LoadOptions& options) {
  for (const std::string& path : paths) {
    absl::StatusOr<std::unique_ptr<LoadedImage>> image =
        LoadImage(path, options);
    if (!image.ok()) {
      std::cerr << image.status() << "\n";
      return false;
    }
  }
  return true;
}

bool BatchPass(const std::vector<std::string>& paths,
               const LoadOptions& options) {
  for (const auto& image : LoadImages(paths, options)) {
    if (!image.ok()) {
      std::cerr << image.status() << "\n";
      return false;
    }
  }
  return true;
}

int Main(int argc, char** argv) {
  int passes = 0;
  if (argc != 3 || !absl::SimpleAtoi(argv[1], &passes) || passes < 0) {
    std::cerr
        << "usage: load_passes PASSES "
           "single|single_no_sections|arena|arena_no_sections|batch\n";
    return 2;
  }
  const std::string mode = argv[2];
  const std::vector<std::string> paths = GuileThreeFiles();
  LoadOptions options;
  options.path = LoadOptions::PathChoice::kShared;
  const bool arena = mode == "arena" || mode == "arena_no_sections";
  options.read_section_table =
      mode != "single_no_sections" && mode != "arena_no_sections";
  if (arena || mode == "batch") {
    absl::StatusOr<MemoryBackend*> host = HostMemoryBackend();
    if (!host.ok()) {
      std::cerr << host.status() << "\n";
      return 1;
    }
    options.arena = AddressArena::Create(**host);
  }
  for (int pass = 0; pass < passes; ++pass) {
    bool ok = false;
    if (mode == "single" || mode == "single_no_sections" || arena) {
      ok = SinglePass(paths, options);
    } else if (mode == "batch") {
      ok = BatchPass(paths, options);
    } else {
      std::cerr << "load_passes: unknown mode '" << mode << "'\n";
      return 2;
    }
    if (!ok) return 1;
  }
  std::cout << paths.size() << "\n";
  return 0;
}

}  // namespace
}  // namespace granule::testing

int main(int argc, char** argv) {
  return granule::testing::Main(argc, argv);
}
