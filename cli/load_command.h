// SPDX-License-Identifier: Apache-2.0
// `granule load FILE... [--path=auto|shared|malloc] [--allow-exec] [--copy]
// [--populate]`:
// loads each image as a runtime would, reports what the loader and the kernel
// did, and times it.
#ifndef GRANULE_CLI_LOAD_COMMAND_H_
#define GRANULE_CLI_LOAD_COMMAND_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cli/command.h"
#include "loader/loaded_image.h"

namespace granule::cli {

// Up to this many files, every file is reported as text; past it, only
// totals unless --verbose. The JSON report always lists every file.
inline constexpr size_t kDetailedFileLimit = 20;

struct LoadFlags {
  std::string path = "auto";  // --path.
  bool allow_execute = false;
  bool copy_file_bytes = false;  // --copy: LoadOptions::copy_file_bytes.
  // --populate: LoadOptions::populate_writable.
  bool populate_writable = false;
  // --cache-dir: LoadOptions::cache.directory; empty: no cache.
  std::string cache_dir;
  bool verbose = false;
  bool json = false;
  std::string relocation_base;  // --relocation-base; empty: where loaded.
};

// "0x10000000" or "268435456".
absl::StatusOr<uint64_t> ParseAddress(absl::string_view text);

// "auto", "shared", "malloc".
absl::StatusOr<LoadOptions::PathChoice> ParsePathChoice(absl::string_view text);

// Load times summed per path taken.
struct LoadTotals {
  int shared = 0, malloc = 0, failed = 0;
  int64_t shared_micros = 0, malloc_micros = 0, failed_micros = 0;

  void Add(std::optional<LoadPath> path, int64_t micros);
  int files() const { return shared + malloc + failed; }
  int64_t micros() const {
    return shared_micros + malloc_micros + failed_micros;
  }
};

// "loading 635 files took 12.3 ms (51626 files/s): shared 635 (12.3 ms), ..."
std::string FormatLoadTotals(const LoadTotals& totals);
std::string LoadTotalsJson(const LoadTotals& totals);

CommandResult RunLoad(const std::vector<std::string>& files,
                      const LoadFlags& flags);

}  // namespace granule::cli

#endif  // GRANULE_CLI_LOAD_COMMAND_H_
