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
#include "loader/elf/elf_format.h"
#include "loader/loaded_image.h"
#include "loader/elf/relocation_types.h"
#include "loader/relocator.h"
#include "loader/segment_fit.h"
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
    absl::StatusOr<LoadVerdict> verdict = CheckLoad(elf, choice.geometry);
    if (!verdict.ok()) {
      return {LoaderRefusal::kSizeLimit,
              WithoutPath(elf.path, verdict.status().message())};
    }
  }
  return {};
}

// The words for a verdict's route, after the page size: "shared",
// "per segment; not whole: REASON", "malloc: REASON".
std::string VerdictText(const LoadVerdict& verdict) {
  switch (verdict.route) {
    case LoadRoute::kSharedWhole:
      return "shared";
    case LoadRoute::kPerSegment:
      return absl::StrCat("per segment; not whole: ",
                          verdict.refusal->Message());
    case LoadRoute::kCopy:
      break;
  }
  return absl::StrCat("malloc: ", verdict.refusal->Message());
}

std::string WhyText(const SegmentVerdict& fit) {
  std::vector<std::string> why;
  for (const Refusal& r : fit.why) why.push_back(r.Message());
  return absl::StrJoin(why, "; ");
}

std::string SegmentLine(const ElfImage& elf, const SegmentVerdict& fit) {
  const std::string flags = elf.segments[fit.program_header].FlagString();
  std::string route = SegmentRouteName(fit.route);
  if (fit.route == SegmentVerdict::Route::kPartlyMapped) {
    route = absl::StrFormat("partly mapped, %s copied",
                            FormatBytes(fit.bytes_copied));
  }
  return absl::StrFormat("              phdr %d %-3s %s: %s\n",
                         fit.program_header, flags, route, WhyText(fit));
}

// "16k copy [phdr 0 R partly: shares a page with another segment]".
std::string RouteSummary(const ElfImage& elf, const PageSizeChoice& choice,
                         const LoadVerdict& verdict) {
  std::vector<std::string> misfits;
  for (const SegmentVerdict& fit : verdict.segments) {
    if (fit.route == SegmentVerdict::Route::kMapped) continue;
    misfits.push_back(absl::StrFormat(
        "phdr %d %s %s: %s", fit.program_header,
        elf.segments[fit.program_header].FlagString(),
        fit.route == SegmentVerdict::Route::kCopied ? "copied" : "partly",
        MisfitName(fit)));
  }
  std::string text = absl::StrCat(choice.token, " ", RouteWords(verdict.route));
  if (!misfits.empty()) {
    absl::StrAppend(&text, " [", absl::StrJoin(misfits, "; "), "]");
  }
  return text;
}

// The shape `load --json` gives a segment route, plus flags and misfit.
std::string SegmentVerdictJson(const ElfImage& elf, const SegmentVerdict& fit) {
  std::vector<std::string> why;
  for (const Refusal& r : fit.why) why.push_back(JsonString(r.Message()));
  return JsonObject()
      .Number("index", fit.program_header)
      .String("route", SegmentRouteName(fit.route))
      .Number("bytes_mapped", fit.bytes_mapped)
      .Number("bytes_copied", fit.bytes_copied)
      .Raw("why", JsonArray(why))
      .String("flags", elf.segments[fit.program_header].FlagString())
      .String("misfit", MisfitName(fit))
      .Build();
}

std::string VerdictJsonWithRoutes(const ElfImage& elf,
                                  const PageSizeChoice& choice,
                                  const LoadVerdict& verdict) {
  std::vector<std::string> routes;
  for (const SegmentVerdict& fit : verdict.segments) {
    routes.push_back(SegmentVerdictJson(elf, fit));
  }
  return VerdictJson(choice, verdict)
      .Bool("every_segment_mapped", EverySegmentMapped(verdict))
      .Number("bytes_mapped", verdict.bytes_mapped)
      .Number("bytes_copied", verdict.bytes_copied)
      .Raw("segment_routes", JsonArray(routes))
      .Build();
}

}  // namespace

const char* RouteWords(LoadRoute route) {
  switch (route) {
    case LoadRoute::kSharedWhole:
      return "whole";
    case LoadRoute::kPerSegment:
      return "per segment";
    case LoadRoute::kCopy:
      return "copy";
  }
  return "unknown";
}

std::string MisfitName(const SegmentVerdict& fit) {
  if (fit.why.empty()) return "none";
  switch (fit.why.front().kind) {
    case Refusal::Kind::kOffsetIncongruent:
      return "offset and address not congruent";
    case Refusal::Kind::kSegmentsShareUnit:
      return "shares a page with another segment";
    default:
      return fit.why.front().Message();
  }
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
    absl::StatusOr<LoadVerdict> verdict = CheckLayout(*elf, choice.geometry);
    if (!verdict.ok()) {  // No page size places it.
      check.error = absl::Status(
          verdict.status().code(),
          absl::StrCat(path, ": ", verdict.status().message()));
      check.verdicts.clear();
      return check;
    }
    check.verdicts.push_back(*std::move(verdict));
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
    const LoadVerdict& verdict = check.verdicts[i];
    absl::StrAppendFormat(&out, "  %-9s %-45s %s\n", page_sizes[i].token,
                          page_sizes[i].geometry.ToString(),
                          VerdictText(verdict));
    for (const SegmentVerdict& fit : verdict.segments) {
      if (fit.route != SegmentVerdict::Route::kMapped) {
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
        RouteSummary(*check.elf, page_sizes[i], check.verdicts[i]));
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
    verdicts.push_back(
        VerdictJsonWithRoutes(elf, page_sizes[i], check.verdicts[i]));
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
