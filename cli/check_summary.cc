// SPDX-License-Identifier: Apache-2.0
#include "cli/check_summary.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "cli/json.h"
#include "loader/segment_fit.h"

namespace granule::cli {
namespace {

std::string Plural(int count, const char* one, const char* many) {
  return absl::StrFormat("%d %s", count, count == 1 ? one : many);
}

void AddLayout(const LoadVerdict& verdict, RouteCounts& counts) {
  switch (verdict.route) {
    case LoadRoute::kSharedWhole:
      ++counts.whole;
      break;
    case LoadRoute::kPerSegment:
      ++counts.per_segment;
      counts.per_segment_all_mapped += EverySegmentMapped(verdict);
      break;
    case LoadRoute::kCopy:
      ++counts.copy;
      break;
  }
  counts.bytes_mapped += verdict.bytes_mapped;
  counts.bytes_copied += verdict.bytes_copied;
  for (const SegmentVerdict& fit : verdict.segments) {
    if (fit.route == SegmentVerdict::Route::kMapped) {
      ++counts.segments_mapped;
      continue;
    }
    ++(fit.route == SegmentVerdict::Route::kCopied ? counts.segments_copied
                                                   : counts.segments_partly);
    ++counts.misfits[MisfitName(fit)];
  }
}

std::string CountsJson(const PageSizeChoice& choice, const RouteCounts& c) {
  JsonObject misfits;
  for (const auto& [name, count] : c.misfits) misfits.Number(name, count);
  return JsonObject()
      .String("token", choice.token)
      .Number("page_size", choice.geometry.page_size())
      .Number("allocation_granularity",
              choice.geometry.allocation_granularity())
      .Number("whole", c.whole)
      .Number("per_segment", c.per_segment)
      .Number("per_segment_all_mapped", c.per_segment_all_mapped)
      .Number("copy", c.copy)
      .Number("segments_mapped", c.segments_mapped)
      .Number("segments_partly_mapped", c.segments_partly)
      .Number("segments_copied", c.segments_copied)
      .Number("bytes_mapped", c.bytes_mapped)
      .Number("bytes_copied", c.bytes_copied)
      .Raw("misfits", misfits.Build())
      .Build();
}

}  // namespace

void CheckTotals::Add(const FileCheck& check) {
  if (!check.error.ok()) {
    ++files_;
    ++invalid_;
    return;
  }
  ++files_;
  ++judged_;
  for (size_t i = 0; i < check.verdicts.size(); ++i) {
    const LoadVerdict& verdict = check.verdicts[i];
    ++(verdict.shared_whole() ? pairs_shared_ : pairs_refused_);
    pairs_not_mapped_ += !EverySegmentMapped(verdict);
    AddLayout(verdict, routes_[i]);
  }
  if (!check.loader.loads()) {
    ++loader_refusals_[LoaderRefusalName(check.loader.refusal)];
  }
}

void CheckTotals::AddSkipped(FileKind kind) {
  ++(kind == FileKind::kOtherElf ? other_elf_ : not_elf_);
}

void CheckTotals::AddWalk(const FileWalk& walk) {
  symlinks_ += walk.symlinks_skipped;
  special_ += walk.special_skipped;
  directories_ += walk.directories;
  unlisted_ += static_cast<int>(walk.errors.size());
}

std::string CheckTotals::Text() const {
  int per_segment = 0, copy = 0;
  for (const RouteCounts& c : routes_) {
    per_segment += c.per_segment;
    copy += c.copy;
  }
  std::string out = absl::StrFormat(
      "checked %s: %d (file, page size) pairs mapped whole, %d per segment, "
      "%d by copy, %d invalid\n",
      Plural(files_, "file", "files"), pairs_shared_, per_segment, copy,
      invalid_);
  if (directories_ > 0) {
    absl::StrAppendFormat(
        &out,
        "skipped in %s: %d not ELF, %d other ELF (objects, core files), "
        "%s, %d special files\n",
        Plural(directories_, "directory", "directories"), not_elf_, other_elf_,
        Plural(symlinks_, "symbolic link", "symbolic links"), special_);
  }
  if (unlisted_ > 0) {
    absl::StrAppendFormat(&out, "%s not read (named on stderr)\n",
                          Plural(unlisted_, "directory or entry",
                                 "directories or entries"));
  }
  const int judged = judged_;
  if (judged == 0) return out;
  absl::StrAppendFormat(&out, "%-8s %7s %12s %6s %6s   %s\n", "page", "whole",
                        "per segment", "copy", "maps", "segments not mapped");
  for (size_t i = 0; i < page_sizes_.size(); ++i) {
    const RouteCounts& c = routes_[i];
    std::vector<std::string> why;
    for (const auto& [name, count] : c.misfits) {
      why.push_back(absl::StrFormat("%d %s", count, name));
    }
    absl::StrAppendFormat(&out, "%-8s %7d %12d %6d %6d   %s\n",
                          page_sizes_[i].token, c.whole, c.per_segment, c.copy,
                          c.whole + c.per_segment_all_mapped,
                          why.empty() ? "none" : absl::StrJoin(why, ", "));
  }
  std::vector<std::string> refusals;
  int refused = 0;
  for (const auto& [name, count] : loader_refusals_) {
    refusals.push_back(absl::StrFormat("%d %s", count, name));
    refused += count;
  }
  absl::StrAppendFormat(&out, "granule itself would load %d of %d%s\n",
                        judged - refused, judged,
                        refusals.empty()
                            ? ""
                            : absl::StrCat("; not: ",
                                           absl::StrJoin(refusals, ", ")));
  return out;
}

std::string CheckTotals::Json() const {
  std::vector<std::string> routes;
  for (size_t i = 0; i < page_sizes_.size(); ++i) {
    routes.push_back(CountsJson(page_sizes_[i], routes_[i]));
  }
  JsonObject refusals;
  for (const auto& [name, count] : loader_refusals_) {
    refusals.Number(name, count);
  }
  return JsonObject()
      .Number("files", files_)
      .Number("pairs_shared", pairs_shared_)
      .Number("pairs_refused", pairs_refused_)
      .Number("files_invalid", invalid_)
      .Number("pairs_not_mapped", pairs_not_mapped_)
      .Number("directories", directories_)
      .Number("directories_unread", unlisted_)
      .Raw("skipped", JsonObject()
                          .Number("not_elf", not_elf_)
                          .Number("other_elf", other_elf_)
                          .Number("symbolic_links", symlinks_)
                          .Number("special_files", special_)
                          .Build())
      .Raw("routes", JsonArray(routes))
      .Raw("loader_refusals", refusals.Build())
      .Build();
}

}  // namespace granule::cli
