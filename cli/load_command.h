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

// `granule load`'s command line: the options every file is loaded with, set
// once from the flags, and how the result is shown.
struct LoadFlags {
  LoadOptions options;
  bool verbose = false;
  bool json = false;
};

// "0x10000000" or "268435456".
absl::StatusOr<uint64_t> ParseAddress(absl::string_view text);

// "auto", "shared", "malloc".
absl::StatusOr<LoadOptions::PathChoice> ParsePathChoice(absl::string_view text);

// Sets options.path from --path and options.relocation_base from
// --relocation-base (empty: relocated where loaded). The error names the flag
// and its value.
absl::Status ParseLoadFlagValues(absl::string_view path,
                                 absl::string_view relocation_base,
                                 LoadOptions& options);

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
