// SPDX-License-Identifier: Apache-2.0
#include "cli/check_command.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "cli/json.h"
#include "cli/report_json.h"
#include "cli/visible_text.h"
#include "loader/loaded_image.h"
#include "loader/relocation_types.h"
#include "loader/relocator.h"
#include "platform/file.h"

namespace granule::cli {
namespace {

absl::StatusOr<ElfImage> ReadImage(const std::string& path) {
  absl::StatusOr<File> file = File::OpenForReading(path);
  if (!file.ok()) return file.status();
  absl::StatusOr<ElfImage> elf = ReadElfImage(*file);
  if (!elf.ok()) return elf.status();
  // What a load would refuse in the relocations, found without loading.
  if (absl::Status s = CheckRelocations(*file, *elf); !s.ok()) return s;
  return elf;
}

std::string VerdictText(const LoadVerdict& verdict) {
  if (verdict.shared_whole()) return "shared";
  return absl::StrCat("malloc: ", verdict.refusal->Message());
}

}  // namespace

void CheckTotals::Add(const FileCheck& check) {
  ++files;
  if (!check.error.ok()) {
    ++files_invalid;
    return;
  }
  for (const LoadVerdict& verdict : check.verdicts) {
    ++(verdict.shared_whole() ? pairs_shared : pairs_refused);
  }
}

FileCheck CheckFile(const std::string& path,
                    absl::Span<const PageSizeChoice> page_sizes) {
  FileCheck check;
  check.path = path;
  absl::StatusOr<ElfImage> elf = ReadImage(path);
  if (!elf.ok()) {
    check.error = elf.status();
    return check;
  }
  for (const PageSizeChoice& choice : page_sizes) {
    absl::StatusOr<LoadVerdict> verdict = CheckLoad(*elf, choice.geometry);
    // No route loads it (the image size limit, the top of the address
    // space): the file is invalid, whatever the page size.
    if (!verdict.ok()) {
      check.error = absl::Status(
          verdict.status().code(),
          absl::StrCat(path, ": ", verdict.status().message()));
      check.verdicts.clear();
      return check;
    }
    check.verdicts.push_back(*std::move(verdict));
  }
  check.elf = *std::move(elf);
  return check;
}

std::string FormatFileCheck(const FileCheck& check,
                            absl::Span<const PageSizeChoice> page_sizes) {
  // The reason is printed once, as the command's error on stderr.
  if (!check.error.ok()) {
    return absl::StrFormat("%s: invalid\n", VisibleText(check.path));
  }
  const ElfImage& elf = *check.elf;
  std::string out = absl::StrFormat(
      "%s: %s, machine %s, layout %s, 64 KiB alignment contract %s\n",
      VisibleText(check.path), elf.variant.ToString(), MachineName(elf.machine),
      LayoutName(elf.layout), elf.MeetsAlignmentContract() ? "met" : "not met");
  absl::StrAppendFormat(&out, "  %-9s %-10s %-10s %-10s %-10s %-5s %s\n",
                        "PT_LOAD", "offset", "vaddr", "filesz", "memsz",
                        "flags", "align");
  for (const Segment* s : elf.LoadSegments()) {
    absl::StrAppendFormat(
        &out, "  %-9s %-10s %-10s %-10s %-10s %-5s %s\n",
        absl::StrCat("phdr ", s->index), absl::StrFormat("0x%x", s->offset),
        absl::StrFormat("0x%x", s->vaddr), absl::StrFormat("0x%x", s->filesz),
        absl::StrFormat("0x%x", s->memsz), s->FlagString(),
        FormatBytes(s->align));
  }
  for (size_t i = 0; i < page_sizes.size(); ++i) {
    absl::StrAppendFormat(&out, "  %-9s %-45s %s\n", page_sizes[i].token,
                          page_sizes[i].geometry.ToString(),
                          VerdictText(check.verdicts[i]));
  }
  return out;
}

std::string FileCheckJson(const FileCheck& check,
                          absl::Span<const PageSizeChoice> page_sizes) {
  JsonObject object;
  object.FileName("file", check.path);
  if (!check.error.ok()) {
    return object.String("error", check.error.message()).Build();
  }
  const ElfImage& elf = *check.elf;
  std::vector<std::string> segments, verdicts;
  for (const Segment* s : elf.LoadSegments()) {
    segments.push_back(SegmentJson(*s).Build());
  }
  for (size_t i = 0; i < page_sizes.size(); ++i) {
    verdicts.push_back(VerdictJson(page_sizes[i], check.verdicts[i]).Build());
  }
  return object.String("variant", elf.variant.ToString())
      .String("machine", MachineName(elf.machine))
      .String("layout", LayoutName(elf.layout))
      .Bool("meets_alignment_contract", elf.MeetsAlignmentContract())
      .Raw("segments", JsonArray(segments))
      .Raw("verdicts", JsonArray(verdicts))
      .Build();
}

std::string FormatCheckTotals(const CheckTotals& totals) {
  return absl::StrFormat(
      "checked %d %s: %d (file, page size) pairs shared, %d refused "
      "(malloc path), %d invalid\n",
      totals.files, totals.files == 1 ? "file" : "files", totals.pairs_shared,
      totals.pairs_refused, totals.files_invalid);
}

CommandResult RunCheck(const std::vector<std::string>& files,
                       const std::string& page_size_list, bool json) {
  CommandResult result;
  absl::StatusOr<std::vector<PageSizeChoice>> page_sizes =
      ParsePageSizeList(page_size_list);
  if (!page_sizes.ok() || files.empty()) {
    result.exit_code = kExitUsage;
    result.errors.push_back(page_sizes.ok()
                                ? "expected at least one FILE"
                                : std::string(page_sizes.status().message()));
    return result;
  }
  CheckTotals totals;
  std::vector<std::string> json_files;
  for (const std::string& path : files) {
    FileCheck check = CheckFile(path, *page_sizes);
    totals.Add(check);
    if (!check.error.ok())
      result.errors.push_back(std::string(check.error.message()));
    if (json) {
      json_files.push_back(FileCheckJson(check, *page_sizes));
    } else {
      absl::StrAppend(&result.report, FormatFileCheck(check, *page_sizes));
    }
  }
  if (json) {
    result.report =
        JsonObject()
            .Raw("files", JsonArray(json_files))
            .Raw("summary", JsonObject()
                                .Number("files", totals.files)
                                .Number("pairs_shared", totals.pairs_shared)
                                .Number("pairs_refused", totals.pairs_refused)
                                .Number("files_invalid", totals.files_invalid)
                                .Build())
            .Build() +
        "\n";
  } else {
    absl::StrAppend(&result.report, FormatCheckTotals(totals));
  }
  if (totals.files_invalid > 0) {
    result.exit_code = kExitFailed;
  } else if (!totals.all_shared()) {
    result.exit_code = kExitWouldCopy;
  }
  return result;
}

}  // namespace granule::cli
