// SPDX-License-Identifier: Apache-2.0
// `granule check FILE... [--page-size=LIST]`: reads each ELF file's headers,
// checks its relocation tables as a load would, and says, for each page size,
// whether the loader would map it (the shared path) or copy it to the heap
// (the malloc path), and why. Nothing is mapped, so hundreds of files take
// milliseconds.
#ifndef GRANULE_CLI_CHECK_COMMAND_H_
#define GRANULE_CLI_CHECK_COMMAND_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "cli/command.h"
#include "cli/page_sizes.h"
#include "loader/elf_image.h"
#include "loader/load_verdict.h"

namespace granule::cli {

struct FileCheck {
  std::string path;
  absl::Status error;  // Not OK when the file cannot be read or validated.
  std::optional<ElfImage> elf;  // Present when `error` is OK.
  // One per page size, in the order given.
  std::vector<LoadVerdict> verdicts;
};

struct CheckTotals {
  int files = 0;
  int pairs_shared = 0;
  int pairs_refused = 0;
  int files_invalid = 0;

  void Add(const FileCheck& check);
  bool all_shared() const { return pairs_refused == 0 && files_invalid == 0; }
};

FileCheck CheckFile(const std::string& path,
                    absl::Span<const PageSizeChoice> page_sizes);

// One file's report: a block of lines, or one JSON object.
std::string FormatFileCheck(const FileCheck& check,
                            absl::Span<const PageSizeChoice> page_sizes);
std::string FileCheckJson(const FileCheck& check,
                          absl::Span<const PageSizeChoice> page_sizes);
std::string FormatCheckTotals(const CheckTotals& totals);  // One line.

// The whole command. `page_size_list` is the --page-size flag's value.
CommandResult RunCheck(const std::vector<std::string>& files,
                       const std::string& page_size_list, bool json);

}  // namespace granule::cli

#endif  // GRANULE_CLI_CHECK_COMMAND_H_
