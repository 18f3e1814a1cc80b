// SPDX-License-Identifier: Apache-2.0
// `granule check FILE|DIR... [--page-size=LIST]`: reads each ELF file's
// headers and says, for each page size, how its PT_LOAD segments would map:
// the whole image mapped from the file (the shared path), segment by segment
// (some segments copied, each with its reason), or only as a copy. That is a
// question about the program headers alone, so any executable or shared
// library gets an answer; whether granule's own loader would take the file
// (position-independent, relative relocations only, within its size limit)
// is a separate verdict. Nothing is mapped, so thousands of files take
// seconds.
#ifndef GRANULE_CLI_CHECK_COMMAND_H_
#define GRANULE_CLI_CHECK_COMMAND_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "cli/command.h"
#include "cli/page_sizes.h"
#include "loader/elf/elf_image.h"
#include "loader/load_verdict.h"

namespace granule::cli {

// A route in the words of `check`'s table: "whole", "per segment", "copy".
const char* RouteWords(LoadRoute route);
// Why a segment is not mapped whole, as a short category for totals:
// "offset and address not congruent", "shares a page with another segment".
std::string MisfitName(const SegmentVerdict& fit);

// Why granule's own loader would not take a file whose layout is judged.
enum class LoaderRefusal {
  kNone,          // It would load it.
  kFixedAddress,  // ET_EXEC: linked to run at one address.
  kRelocations,   // A relocation other than a relative one, or a bad table.
  kSizeLimit,     // Past LoadOptions::max_image_size or the address space.
};
const char* LoaderRefusalName(LoaderRefusal refusal);

struct LoaderVerdict {
  LoaderRefusal refusal = LoaderRefusal::kNone;
  std::string reason;  // Empty with kNone; else the first problem, by name.
  bool loads() const { return refusal == LoaderRefusal::kNone; }
};

// What a file is, from its first bytes: only executables and shared
// libraries have a layout to judge.
enum class FileKind { kUnread, kLoadable, kNotElf, kOtherElf };

struct FileCheck {
  std::string path;
  FileKind kind = FileKind::kUnread;
  absl::Status error;  // Not OK when the file cannot be read or validated.
  std::optional<ElfImage> elf;  // Present when `error` is OK.
  // One per page size, in the order given: CheckLayout's, what the program
  // headers allow, with each segment's route when not mapped whole.
  std::vector<LoadVerdict> verdicts;
  LoaderVerdict loader;
};

FileCheck CheckFile(const std::string& path,
                    absl::Span<const PageSizeChoice> page_sizes);

// One file's report: a block of lines, one line, or one JSON object.
std::string FormatFileCheck(const FileCheck& check,
                            absl::Span<const PageSizeChoice> page_sizes);
std::string FormatFileCheckLine(const FileCheck& check,
                                absl::Span<const PageSizeChoice> page_sizes);
std::string FileCheckJson(const FileCheck& check,
                          absl::Span<const PageSizeChoice> page_sizes);

struct CheckFlags {
  std::string page_size_list;  // --page-size.
  bool json = false;
  bool verbose = false;   // Every file's block, however many.
  bool loadable = false;  // A file granule would not load is invalid input.
};

// More files than this (or any directory) and the text report gives one
// line per file, unless --verbose.
inline constexpr int kMaxDetailedFiles = 20;

// The whole command.
CommandResult RunCheck(const std::vector<std::string>& arguments,
                       const CheckFlags& flags);

}  // namespace granule::cli

#endif  // GRANULE_CLI_CHECK_COMMAND_H_
