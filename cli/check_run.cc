// SPDX-License-Identifier: Apache-2.0
// RunCheck: the walk over the arguments, each file's report, the totals and
// the exit code.
#include "absl/strings/str_cat.h"
#include "cli/check_command.h"
#include "cli/check_summary.h"
#include "cli/file_walk.h"
#include "cli/json.h"

namespace granule::cli {
namespace {

CommandResult UsageError(std::string message) {
  CommandResult result;
  result.exit_code = kExitUsage;
  result.errors.push_back(std::move(message));
  return result;
}

// A file found in a directory that is not an executable or a shared library
// is skipped; one named on the command line is judged, and fails.
bool Skipped(const WalkedFile& walked, const FileCheck& check) {
  return !walked.named &&
         (check.kind == FileKind::kNotElf || check.kind == FileKind::kOtherElf);
}

}  // namespace

CommandResult RunCheck(const std::vector<std::string>& arguments,
                       const CheckFlags& flags) {
  absl::StatusOr<std::vector<PageSizeChoice>> page_sizes =
      ParsePageSizeList(flags.page_size_list);
  if (!page_sizes.ok()) {
    return UsageError(std::string(page_sizes.status().message()));
  }
  if (arguments.empty()) return UsageError("expected at least one FILE or DIR");
  const FileWalk walk = WalkArguments(arguments);
  const bool detailed =
      flags.verbose || (!walk.any_directory &&
                        walk.files.size() <= static_cast<size_t>(
                                                 kMaxDetailedFiles));
  CommandResult result;
  result.errors = walk.errors;
  CheckTotals totals(*page_sizes);
  totals.AddWalk(walk);
  std::vector<std::string> json_files;
  for (const WalkedFile& walked : walk.files) {
    FileCheck check = CheckFile(walked.path, *page_sizes);
    if (Skipped(walked, check)) {
      totals.AddSkipped(check.kind);
      continue;
    }
    if (check.error.ok() && flags.loadable && !check.loader.loads()) {
      check.error = absl::FailedPreconditionError(
          absl::StrCat(check.path, ": ", check.loader.reason));
    }
    totals.Add(check);
    if (!check.error.ok()) {
      result.errors.push_back(std::string(check.error.message()));
    }
    if (flags.json) {
      json_files.push_back(FileCheckJson(check, *page_sizes));
    } else if (detailed) {
      absl::StrAppend(&result.report, FormatFileCheck(check, *page_sizes));
    } else {
      absl::StrAppend(&result.report, FormatFileCheckLine(check, *page_sizes));
    }
  }
  if (flags.json) {
    result.report = JsonObject()
                        .Raw("files", JsonArray(json_files))
                        .Raw("summary", totals.Json())
                        .Build() +
                    "\n";
  } else {
    absl::StrAppend(&result.report, totals.Text());
  }
  if (totals.invalid() > 0) {
    result.exit_code = kExitFailed;
  } else if (!totals.all_mapped()) {
    result.exit_code = kExitWouldCopy;
  }
  return result;
}

}  // namespace granule::cli
