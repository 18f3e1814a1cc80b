// SPDX-License-Identifier: Apache-2.0
#include "cli/image_report.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "cli/json.h"
#include "cli/report_json.h"
#include "cli/visible_text.h"
#include "loader/elf/elf_format.h"
#include "platform/status_macros.h"

namespace granule::cli {
namespace {

// Protections in page order, consecutive repeats collapsed: "R", "R+RW".
std::string JoinRuns(const std::vector<Protection>& pages) {
  std::vector<std::string> runs;
  for (size_t i = 0; i < pages.size(); ++i) {
    if (i == 0 || pages[i] != pages[i - 1]) {
      runs.push_back(ProtectionName(pages[i]));
    }
  }
  return runs.empty() ? "none" : absl::StrJoin(runs, "+");
}

// What the backend recorded, sampled at least every 4 KiB (the malloc
// backend's unit is one byte) and at the last byte.
std::string RecordedProtection(const LoadedImage& image, uintptr_t begin,
                               uint64_t size) {
  if (size == 0) return ProtectionName(image.ProtectionAt(begin));
  const uint64_t step =
      std::max<uint64_t>(image.backend().geometry().page_size(), 4096);
  std::vector<Protection> pages;
  for (uint64_t at = 0; at < size; at += step) {
    pages.push_back(image.ProtectionAt(begin + at));
  }
  pages.push_back(image.ProtectionAt(begin + size - 1));
  return JoinRuns(pages);
}

absl::StatusOr<SegmentReport> DescribeSegment(
    const LoadedImage& image, const LoadedImage::LoadedSegment& segment,
    bool enforced) {
  SegmentReport report;
  report.index = segment.header->index;
  report.vaddr = segment.header->vaddr;
  report.size = segment.size;
  report.flags = segment.header->FlagString();
  report.header = *segment.header;
  const auto begin = reinterpret_cast<uintptr_t>(segment.data);
  report.address = begin;
  report.source =
      enforced ? ProtectionSource::kRecorded : ProtectionSource::kNotEnforced;
  if (enforced && segment.size > 0) {
    absl::StatusOr<std::vector<PageState>> states =
        QueryPageStates(begin, segment.size);
    if (states.ok()) {
      std::vector<Protection> pages;
      for (const PageState& state : *states) pages.push_back(state.protection);
      report.protection = JoinRuns(pages);
      report.source = ProtectionSource::kKernel;
      report.pages = Summarize(*states);
      return report;
    }
    if (!absl::IsUnimplemented(states.status())) return states.status();
  }
  report.protection = RecordedProtection(image, begin, segment.size);
  return report;
}

DynamicReport DescribeEntry(const LoadedImage::ResolvedEntry& entry) {
  DynamicReport report;
  report.tag = DynamicTagName(entry.tag);
  report.value = entry.value;
  if (entry.pointer != nullptr) {
    report.pointer = reinterpret_cast<uintptr_t>(entry.pointer);
  }
  if (entry.tag == elf::kDtGuileVmVersion) {
    report.meaning = DescribeGuileVmVersion(entry.value);
  } else if (IsAddressTag(entry.tag) && entry.pointer == nullptr) {
    report.meaning = "outside the loaded segments";
  }
  return report;
}

// Columns pad with blanks; a line does not end with them.
void AppendLine(std::string& out, absl::string_view line) {
  absl::StrAppend(&out, absl::StripTrailingAsciiWhitespace(line), "\n");
}

std::string LoadedSegmentJson(const SegmentReport& s) {
  JsonObject object = SegmentJson(s.header);
  object.Hex("address", s.address)
      .String("protection", s.protection)
      .String("protection_source", ProtectionSourceName(s.source));
  if (s.pages) {
    object.Raw("pages", JsonObject()
                            .Number("pages", s.pages->pages)
                            .Number("resident", s.pages->resident)
                            .Number("file_pages", s.pages->file_pages)
                            .Number("private_pages", s.pages->private_pages)
                            .Number("anonymous_shared_pages",
                                    s.pages->anonymous_shared_pages)
                            .Build());
  }
  return object.Build();
}

std::string EntryJson(const DynamicReport& d) {
  JsonObject object;
  object.String("tag", d.tag).Hex("value", d.value);
  if (d.pointer) object.Hex("address", *d.pointer);
  if (!d.meaning.empty()) object.String("meaning", d.meaning);
  return object.Build();
}

// The route and its byte counts; segment by segment, each PT_LOAD's share.
void AppendRoute(std::string& out, const LoadVerdict& verdict) {
  absl::StrAppendFormat(&out, "  route      %s: %d bytes mapped, %d copied\n",
                        LoadRouteName(verdict.route), verdict.bytes_mapped,
                        verdict.bytes_copied);
  for (const SegmentVerdict& v : verdict.segments) {
    std::string line = absl::StrFormat(
        "    phdr %d %s: %d bytes mapped, %d copied", v.program_header,
        SegmentRouteName(v.route), v.bytes_mapped, v.bytes_copied);
    for (const Refusal& why : v.why) {
      absl::StrAppend(&line, "; ", why.Message());
    }
    AppendLine(out, line);
  }
}

std::string SegmentRouteJson(const SegmentVerdict& v) {
  std::vector<std::string> why;
  for (const Refusal& r : v.why) why.push_back(JsonString(r.Message()));
  return JsonObject()
      .Number("index", v.program_header)
      .String("route", SegmentRouteName(v.route))
      .Number("bytes_mapped", v.bytes_mapped)
      .Number("bytes_copied", v.bytes_copied)
      .Raw("why", JsonArray(why))
      .Build();
}

}  // namespace

const char* ProtectionSourceName(ProtectionSource source) {
  switch (source) {
    case ProtectionSource::kKernel:
      return "kernel";
    case ProtectionSource::kRecorded:
      return "recorded";
    case ProtectionSource::kNotEnforced:
      return "recorded, not enforced";
  }
  return "unknown";
}

absl::StatusOr<ImageReport> DescribeImage(const LoadedImage& image) {
  const bool enforced = image.backend().traits().enforces_protection;
  ImageReport report;
  report.file = image.elf().path;
  report.path = image.path();
  report.verdict = image.verdict();
  report.reason = image.reason();
  report.backend = image.backend().traits().name;
  report.base = image.base();
  report.protection_enforced = enforced;
  report.file_bytes_copied = image.file_bytes_copied();
  report.relocations_applied = image.relocations_applied();
  for (const LoadedImage::LoadedSegment& segment : image.segments()) {
    GRANULE_ASSIGN_OR_RETURN(SegmentReport described,
                             DescribeSegment(image, segment, enforced));
    report.segments.push_back(std::move(described));
  }
  for (const LoadedImage::ResolvedEntry& entry : image.dynamic()) {
    report.dynamic.push_back(DescribeEntry(entry));
  }
  return report;
}

std::string DescribeGuileVmVersion(uint64_t value) {
  const uint64_t major = value >> 16;
  const uint64_t minor = value & 0xffff;
  if (major > 0xffff) {
    return absl::StrFormat("not Guile's encoding (raw 0x%x)", value);
  }
  return absl::StrFormat("Guile %d.%d bytecode, minor %d (raw 0x%x)",
                         major >> 8, major & 0xff, minor, value);
}

std::string ProtectionText(const SegmentReport& segment) {
  return absl::StrFormat("%s (%s)", segment.protection,
                         ProtectionSourceName(segment.source));
}

std::string PageSummaryText(const PageSummary& pages) {
  std::string text =
      absl::StrFormat("%d %s: %d resident (%d file, %d private", pages.pages,
                      pages.pages == 1 ? "page" : "pages", pages.resident,
                      pages.file_pages, pages.private_pages);
  // In a process that has not forked these are the kernel's zero page.
  if (pages.anonymous_shared_pages > 0) {
    absl::StrAppendFormat(&text, ", %d zero page",
                          pages.anonymous_shared_pages);
  }
  return text + ")";
}

std::string FormatImageReport(const ImageReport& report,
                              std::optional<int64_t> micros) {
  std::string out = absl::StrFormat("%s: %s path, %s backend\n",
                                    VisibleText(report.file),
                                    LoadPathName(report.path), report.backend);
  absl::StrAppendFormat(&out, "  why        %s\n", report.reason);
  AppendRoute(out, report.verdict);
  absl::StrAppendFormat(&out, "  base       0x%x\n", report.base);
  absl::StrAppendFormat(&out, "  file       %s\n",
                        report.file_bytes_copied
                            ? "copied at load: later changes cannot reach it"
                            : "mapped: keep it unchanged while loaded");
  if (micros) absl::StrAppendFormat(&out, "  load time  %d us\n", *micros);
  absl::StrAppendFormat(&out, "  relocated  %d words\n",
                        report.relocations_applied);
  if (!report.protection_enforced) {
    absl::StrAppendFormat(&out,
                          "  note       the %s backend records protections "
                          "but does not enforce them\n",
                          report.backend);
  }
  absl::StrAppendFormat(&out, "  %-5s %-12s %-10s %-6s %-30s %s\n", "phdr",
                        "vaddr", "size", "flags", "protection", "pages");
  for (const SegmentReport& s : report.segments) {
    AppendLine(out, absl::StrFormat("  %-5d %-12s %-10s %-6s %-30s %s", s.index,
                                    absl::StrFormat("0x%x", s.vaddr),
                                    absl::StrFormat("0x%x", s.size), s.flags,
                                    ProtectionText(s),
                                    s.pages ? PageSummaryText(*s.pages) : ""));
  }
  if (!report.dynamic.empty()) out += "  dynamic entries:\n";
  for (const DynamicReport& d : report.dynamic) {
    std::string meaning = d.meaning;
    if (d.pointer) meaning = absl::StrFormat("-> 0x%x", *d.pointer);
    AppendLine(out, absl::StrFormat("    %-18s %-12s %s", d.tag,
                                    absl::StrFormat("0x%x", d.value), meaning));
  }
  return out;
}

std::string ImageReportJson(const ImageReport& report,
                            std::optional<int64_t> micros) {
  std::vector<std::string> routes;
  for (const SegmentVerdict& v : report.verdict.segments) {
    routes.push_back(SegmentRouteJson(v));
  }
  std::vector<std::string> segments, dynamic;
  for (const SegmentReport& s : report.segments) {
    segments.push_back(LoadedSegmentJson(s));
  }
  for (const DynamicReport& d : report.dynamic) dynamic.push_back(EntryJson(d));
  JsonObject object;
  object.FileName("file", report.file)
      .String("load_path", LoadPathName(report.path))
      .String("reason", report.reason)
      .String("route", LoadRouteName(report.verdict.route))
      .Number("bytes_mapped", report.verdict.bytes_mapped)
      .Number("bytes_copied", report.verdict.bytes_copied)
      .Raw("segment_routes", JsonArray(routes))
      .String("backend", report.backend)
      .Hex("base", report.base)
      .Bool("protection_enforced", report.protection_enforced)
      .Bool("file_bytes_copied", report.file_bytes_copied)
      .Number("relocations_applied", report.relocations_applied);
  if (micros) object.Signed("load_micros", *micros);
  return object.Raw("segments", JsonArray(segments))
      .Raw("dynamic", JsonArray(dynamic))
      .Build();
}

}  // namespace granule::cli
