// SPDX-License-Identifier: Apache-2.0
#include "cli/check_command.h"

#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "cli/check_summary.h"
#include "cli/file_walk.h"
#include "cli/json.h"
#include "cli/report_json.h"
#include "cli/visible_text.h"
#include "loader/elf_format.h"
#include "loader/load_plan.h"
#include "loader/loaded_image.h"
#include "loader/relocation_types.h"
#include "loader/relocator.h"
#include "platform/file.h"

namespace granule::cli {
namespace {

// From the first 18 bytes: the ELF magic and e_type, in either byte order.
FileKind KindOf(const File& file) {
  uint8_t head[18] = {};
  if (file.size() < sizeof(head) || !file.ReadAt(0, head).ok()) {
    return FileKind::kNotElf;
  }
  for (int i = 0; i < 4; ++i) {
    if (head[i] != elf::kMagic[i]) return FileKind::kNotElf;
  }
  const bool big = head[elf::kIdentData] == elf::kDataBig;
  const uint16_t type = big ? (head[16] << 8 | head[17])
                            : (head[17] << 8 | head[16]);
  return type == elf::kTypeDyn || type == elf::kTypeExec ? FileKind::kLoadable
                                                          : FileKind::kOtherElf;
}

// The reason without the file name in front: the line is under its name.
std::string WithoutPath(const std::string& path, absl::string_view reason) {
  absl::ConsumePrefix(&reason, path);
  absl::ConsumePrefix(&reason, ": ");
  return std::string(reason);
}

// The loader's own reading and relocation checks, in the order a load
// meets them, so the reason is the one `granule load` would give.
LoaderVerdict JudgeLoader(const File& file, const ElfImage& elf,
                          absl::Span<const PageSizeChoice> page_sizes) {
  if (absl::StatusOr<ElfImage> image = ReadElfImage(file); !image.ok()) {
    return {elf.type == elf::kTypeExec ? LoaderRefusal::kFixedAddress
                                       : LoaderRefusal::kRelocations,
            WithoutPath(elf.path, image.status().message())};
  }
  if (absl::Status s = CheckRelocations(file, elf); !s.ok()) {
    return {LoaderRefusal::kRelocations, WithoutPath(elf.path, s.message())};
  }
  for (const PageSizeChoice& choice : page_sizes) {
    absl::Status s = CheckSharedPath(elf, choice.geometry);
    if (absl::IsInvalidArgument(s)) {
      return {LoaderRefusal::kSizeLimit, WithoutPath(elf.path, s.message())};
    }
  }
  return {};
}

PageSizeVerdict JudgeLayout(const ElfImage& elf, const PageGeometry& geometry) {
  PageSizeVerdict verdict;
  // The loader's size limit is the loader's verdict, not the layout's.
  PlanOptions options;
  options.map_whole_file = true;
  options.max_span = UINT64_MAX;
  verdict.whole = PlanLoad(elf, geometry, options).status();
  if (!verdict.whole.ok()) {
    verdict.whole = absl::FailedPreconditionError(
        WithoutPath(elf.path, verdict.whole.message()));
  }
  verdict.segments = FitSegments(elf, geometry);
  bool some_mapped = false;
  for (const SegmentFit& fit : verdict.segments) {
    some_mapped |= fit.route != SegmentRoute::kCopied;
  }
  verdict.route = verdict.whole.ok() ? LayoutRoute::kWhole
                  : some_mapped      ? LayoutRoute::kPerSegment
                                     : LayoutRoute::kCopy;
  return verdict;
}

std::string VerdictText(const PageSizeVerdict& verdict) {
  switch (verdict.route) {
    case LayoutRoute::kWhole:
      return "shared";
    case LayoutRoute::kPerSegment:
      return absl::StrCat("per segment; not whole: ", verdict.whole.message());
    case LayoutRoute::kCopy:
      break;
  }
  return absl::StrCat("malloc: ", verdict.whole.message());
}

std::string SegmentLine(const ElfImage& elf, const SegmentFit& fit) {
  const std::string flags = elf.segments[fit.index].FlagString();
  std::string route = SegmentRouteName(fit.route);
  if (fit.route == SegmentRoute::kPartlyMapped) {
    route = absl::StrFormat("partly mapped, %s copied",
                            FormatBytes(fit.copied_bytes));
  }
  return absl::StrFormat("              phdr %d %-3s %s: %s\n", fit.index,
                         flags, route, fit.reason);
}

// "16k copy [phdr 0 R partly: shares a page ...]".
std::string RouteSummary(const ElfImage& elf, const PageSizeChoice& choice,
                         const PageSizeVerdict& verdict) {
  std::vector<std::string> misfits;
  for (const SegmentFit& fit : verdict.segments) {
    if (fit.route == SegmentRoute::kMapped) continue;
    misfits.push_back(absl::StrFormat(
        "phdr %d %s %s: %s", fit.index, elf.segments[fit.index].FlagString(),
        fit.route == SegmentRoute::kCopied ? "copied" : "partly",
        SegmentMisfitName(fit.misfit)));
  }
  std::string text =
      absl::StrCat(choice.token, " ", LayoutRouteName(verdict.route));
  if (!misfits.empty()) {
    absl::StrAppend(&text, " [", absl::StrJoin(misfits, "; "), "]");
  }
  return text;
}

std::string SegmentFitJson(const ElfImage& elf, const SegmentFit& fit) {
  return JsonObject()
      .Number("index", fit.index)
      .String("flags", elf.segments[fit.index].FlagString())
      .String("route", SegmentRouteName(fit.route))
      .String("misfit", SegmentMisfitName(fit.misfit))
      .String("reason", fit.reason)
      .Number("mapped_bytes", fit.mapped_bytes)
      .Number("copied_bytes", fit.copied_bytes)
      .Build();
}

std::string VerdictJsonWithRoutes(const ElfImage& elf,
                                  const PageSizeChoice& choice,
                                  const absl::Status& whole,
                                  const PageSizeVerdict& verdict) {
  std::vector<std::string> routes;
  for (const SegmentFit& fit : verdict.segments) {
    routes.push_back(SegmentFitJson(elf, fit));
  }
  return VerdictJson(choice, whole)
      .String("route", LayoutRouteName(verdict.route))
      .Bool("all_mapped", verdict.all_mapped())
      .Raw("segment_routes", JsonArray(routes))
      .Build();
}

}  // namespace

const char* LayoutRouteName(LayoutRoute route) {
  switch (route) {
    case LayoutRoute::kWhole:
      return "whole";
    case LayoutRoute::kPerSegment:
      return "per segment";
    case LayoutRoute::kCopy:
      return "copy";
  }
  return "unknown";
}

const char* LoaderRefusalName(LoaderRefusal refusal) {
  switch (refusal) {
    case LoaderRefusal::kNone:
      return "none";
    case LoaderRefusal::kFixedAddress:
      return "fixed addresses (ET_EXEC)";
    case LoaderRefusal::kRelocations:
      return "relocations";
    case LoaderRefusal::kSizeLimit:
      return "size limit";
  }
  return "unknown";
}

bool PageSizeVerdict::all_mapped() const {
  for (const SegmentFit& fit : segments) {
    if (fit.route != SegmentRoute::kMapped) return false;
  }
  return true;
}

FileCheck CheckFile(const std::string& path,
                    absl::Span<const PageSizeChoice> page_sizes) {
  FileCheck check;
  check.path = path;
  absl::StatusOr<File> file = File::OpenForReading(path);
  if (!file.ok()) {
    check.error = file.status();
    return check;
  }
  check.kind = KindOf(*file);
  absl::StatusOr<ElfImage> elf = ReadElfLayout(*file);
  if (!elf.ok()) {
    check.error = elf.status();
    return check;
  }
  for (const PageSizeChoice& choice : page_sizes) {
    PageSizeVerdict layout = JudgeLayout(*elf, choice.geometry);
    check.verdicts.push_back(layout.whole);
    check.layouts.push_back(std::move(layout));
  }
  check.loader = JudgeLoader(*file, *elf, page_sizes);
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
    const PageSizeVerdict& layout = check.layouts[i];
    absl::StrAppendFormat(&out, "  %-9s %-45s %s\n", page_sizes[i].token,
                          page_sizes[i].geometry.ToString(),
                          VerdictText(layout));
    if (layout.route == LayoutRoute::kWhole) continue;
    for (const SegmentFit& fit : layout.segments) {
      if (fit.route != SegmentRoute::kMapped) {
        absl::StrAppend(&out, SegmentLine(elf, fit));
      }
    }
  }
  if (!check.loader.loads()) {
    absl::StrAppend(&out, "  granule would not load it: ", check.loader.reason,
                    "\n");
  }
  return out;
}

std::string FormatFileCheckLine(const FileCheck& check,
                                absl::Span<const PageSizeChoice> page_sizes) {
  if (!check.error.ok()) {
    return absl::StrFormat("%s: invalid\n", VisibleText(check.path));
  }
  std::vector<std::string> routes;
  for (size_t i = 0; i < page_sizes.size(); ++i) {
    routes.push_back(
        RouteSummary(*check.elf, page_sizes[i], check.layouts[i]));
  }
  std::string line = absl::StrCat(VisibleText(check.path), ": ",
                                  absl::StrJoin(routes, ", "));
  if (!check.loader.loads()) {
    absl::StrAppend(&line, "; granule would not load it (",
                    LoaderRefusalName(check.loader.refusal), ")");
  }
  return line + "\n";
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
    verdicts.push_back(VerdictJsonWithRoutes(elf, page_sizes[i],
                                             check.verdicts[i],
                                             check.layouts[i]));
  }
  return object.String("variant", elf.variant.ToString())
      .String("machine", MachineName(elf.machine))
      .String("elf_type", elf.type == elf::kTypeExec ? "EXEC" : "DYN")
      .String("layout", LayoutName(elf.layout))
      .Bool("meets_alignment_contract", elf.MeetsAlignmentContract())
      .Raw("segments", JsonArray(segments))
      .Raw("verdicts", JsonArray(verdicts))
      .Raw("loader", JsonObject()
                         .Bool("loads", check.loader.loads())
                         .String("refusal",
                                 LoaderRefusalName(check.loader.refusal))
                         .String("reason", check.loader.reason)
                         .Build())
      .Build();
}

}  // namespace granule::cli
