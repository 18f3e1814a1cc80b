// SPDX-License-Identifier: Apache-2.0
// The totals `granule check` ends with: what a person reads at a glance over
// thousands of files (per page size, how many map whole, segment by segment,
// or only by copy, and why segments were copied), and the same as JSON.
#ifndef GRANULE_CLI_CHECK_SUMMARY_H_
#define GRANULE_CLI_CHECK_SUMMARY_H_

#include <map>
#include <string>
#include <vector>

#include "absl/types/span.h"
#include "cli/check_command.h"
#include "cli/file_walk.h"
#include "cli/page_sizes.h"

namespace granule::cli {

struct RouteCounts {
  int whole = 0, per_segment = 0, copy = 0;
  // Files on the per-segment route whose every segment maps.
  int per_segment_all_mapped = 0;
  int segments_mapped = 0, segments_partly = 0, segments_copied = 0;
  uint64_t bytes_mapped = 0, bytes_copied = 0;
  std::map<std::string, int> misfits;  // MisfitName -> segments.
};

class CheckTotals {
 public:
  explicit CheckTotals(absl::Span<const PageSizeChoice> page_sizes)
      : page_sizes_(page_sizes.begin(), page_sizes.end()),
        routes_(page_sizes.size()) {}

  void Add(const FileCheck& check);
  // A file found in a directory that is not an executable or a shared
  // library (FileKind kNotElf or kOtherElf): counted, not judged.
  void AddSkipped(FileKind kind);
  void AddWalk(const FileWalk& walk);

  // No file invalid or unreadable, and on every page size every segment of
  // every file maps.
  bool all_mapped() const {
    return invalid() == 0 && pairs_not_mapped_ == 0;
  }
  // Files that failed, and directories that could not be listed.
  int invalid() const { return invalid_ + unlisted_; }

  std::string Text() const;  // Lines, ending with a newline.
  std::string Json() const;  // The "summary" object.

 private:
  std::vector<PageSizeChoice> page_sizes_;
  std::vector<RouteCounts> routes_;
  int files_ = 0;             // Judged or failed; skipped ones not counted.
  int judged_ = 0;            // Valid ELF executables and shared libraries.
  int invalid_ = 0;           // Failed: unreadable, or not a valid ELF.
  int unlisted_ = 0;          // Directories and entries the walk could not read.
  int pairs_shared_ = 0;      // (file, page size) pairs mapped whole.
  int pairs_refused_ = 0;     // Not whole.
  int pairs_not_mapped_ = 0;  // Some segment (part) copied.
  int not_elf_ = 0, other_elf_ = 0, symlinks_ = 0, special_ = 0;
  int directories_ = 0;
  std::map<std::string, int> loader_refusals_;  // LoaderRefusalName -> files.
};

}  // namespace granule::cli

#endif  // GRANULE_CLI_CHECK_SUMMARY_H_
