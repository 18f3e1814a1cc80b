// SPDX-License-Identifier: Apache-2.0
#include "cli/demo_command.h"

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/demo_facts.h"
#include "cli/demo_image.h"
#include "cli/json.h"
#include "platform/status_macros.h"

namespace granule::cli {
namespace {

std::string Intro() {
  return absl::StrFormat(
      "granule demo: a sample image in the shape of a Guile .go file "
      "(constants R, code RX,\n%s of data RW whose first two words are "
      "relative relocations), segments\naligned to 64 KiB, written to a "
      "scratch file and loaded twice on this machine.\n\n",
      FormatBytes(kDemoDataBytes));
}

// One word, for the table: the full story is in the note under it.
const char* Source(ProtectionSource source) {
  return source == ProtectionSource::kKernel ? "kernel" : "recorded";
}

std::string LoadsText(const DemoFacts& f) {
  std::string out;
  for (const ImageReport* r : {&f.shared, &f.malloc}) {
    absl::StrAppendFormat(&out, "%s load: %s path: %s\n",
                          r == &f.shared ? "auto  " : "malloc",
                          LoadPathName(r->path), r->reason);
  }
  absl::StrAppendFormat(&out, "  %-4s %-5s %-7s %-12s %-14s %s\n", "phdr",
                        "flags", "size", "auto load", "malloc load",
                        "pages of the auto load");
  for (size_t i = 0; i < f.shared.segments.size(); ++i) {
    const SegmentReport& s = f.shared.segments[i];
    const SegmentReport& m = f.malloc.segments[i];
    absl::StrAppendFormat(
        &out, "  %-4d %-5s %-7s %-12s %-14s %s\n", s.index, s.flags,
        absl::StrFormat("0x%x", s.size),
        absl::StrFormat("%s (%s)", s.protection, Source(s.source)),
        absl::StrFormat("%s (%s)", m.protection, Source(m.source)),
        s.pages ? PageSummaryText(*s.pages) : "not reported");
  }
  absl::StrAppendFormat(
      &out,
      "  The %s backend records protections without enforcing them. Code "
      "stays R unless\n  loaded with --allow-exec. File pages are shared "
      "through the page cache; pages\n  that relocation or zero-filling "
      "wrote are private copies.\n",
      f.malloc.backend);
  out += "  Relocated words of .data, followed in the auto load:\n";
  for (const PointerFact& p : f.pointers) {
    absl::StrAppendFormat(&out, "    %s -> 0x%x (%s): %s\n", p.place, p.value,
                          p.target, p.seen);
  }
  uint64_t bytes = 0;
  for (const SegmentAgreement& a : f.agreement) bytes += a.size;
  absl::StrAppendFormat(
      &out,
      "  Loaded again by the %s and %s paths, relocated for one base: all %d "
      "segments\n  identical byte for byte (%d bytes).\n",
      LoadPathName(f.compared[0]), LoadPathName(f.compared[1]),
      f.agreement.size(), bytes);
  return out;
}

// The table names each machine by its short name; the notes under it give
// the full label.
std::string MachinesText(const DemoFacts& f) {
  std::string out =
      "\nThe same image on simulated machines, and with the old 4 KiB "
      "alignment,\nby the route each load takes:\n";
  int width = 7;  // "machine"
  for (const MachineFacts& m : f.machines) {
    width = std::max(width, static_cast<int>(std::strlen(m.machine->name)));
  }
  absl::StrAppendFormat(&out, "  %-*s  %-15s %s\n", width, "machine",
                        "64 KiB-aligned", "4 KiB-aligned");
  for (const MachineFacts& m : f.machines) {
    absl::StrAppendFormat(&out, "  %-*s  %-15s %s\n", width, m.machine->name,
                          LoadRouteName(m.aligned_64k.route),
                          LoadRouteName(m.aligned_4k.route));
  }
  out += "  Why, for the 64 KiB-aligned image:\n";
  for (const MachineFacts& m : f.machines) {
    absl::StrAppendFormat(&out, "    %s: %s\n", m.machine->label,
                          m.aligned_64k.reason);
  }
  for (const MachineFacts& m : f.machines) {
    if (m.aligned_4k.path == LoadPath::kMalloc &&
        m.aligned_64k.path == LoadPath::kShared) {
      absl::StrAppendFormat(&out, "  Why not 4 KiB-aligned, on %s: %s\n",
                            m.machine->label, m.aligned_4k.reason);
      break;
    }
  }
  return out;
}

std::string DemoText(const DemoFacts& f) {
  return absl::StrCat(Intro(), LoadsText(f), MachinesText(f),
                      "\nThis machine:\n", f.platform_text);
}

std::string OutcomeJson(const LoadOutcome& outcome) {
  return JsonObject()
      .String("load_path", LoadPathName(outcome.path))
      .String("route", LoadRouteName(outcome.route))
      .String("reason", outcome.reason)
      .Build();
}

std::string DemoJson(const DemoFacts& f) {
  std::vector<std::string> pointers, agreement, machines;
  for (const PointerFact& p : f.pointers) {
    pointers.push_back(JsonObject()
                           .String("place", p.place)
                           .String("target", p.target)
                           .Hex("value", p.value)
                           .String("seen", p.seen)
                           .Build());
  }
  for (const SegmentAgreement& a : f.agreement) {
    agreement.push_back(JsonObject()
                            .Number("index", a.index)
                            .Number("size", a.size)
                            .Bool("identical", true)
                            .Build());
  }
  for (const MachineFacts& m : f.machines) {
    machines.push_back(
        JsonObject()
            .String("name", m.machine->name)
            .String("label", m.machine->label)
            .Number("page_size", m.machine->page_size)
            .Number("allocation_granularity",
                    m.machine->allocation_granularity)
            .Raw("aligned_64k", OutcomeJson(m.aligned_64k))
            .Raw("aligned_4k", OutcomeJson(m.aligned_4k))
            .Build());
  }
  return JsonObject()
             .Raw("loads", JsonArray({ImageReportJson(f.shared, std::nullopt),
                                      ImageReportJson(f.malloc, std::nullopt)}))
             .Raw("pointers", JsonArray(pointers))
             .Raw("compared_paths",
                  JsonArray({JsonString(LoadPathName(f.compared[0])),
                             JsonString(LoadPathName(f.compared[1]))}))
             .Raw("agreement", JsonArray(agreement))
             .Raw("machines", JsonArray(machines))
             .Raw("this_machine", f.platform_json)
             .Build() +
         "\n";
}

}  // namespace

absl::StatusOr<std::string> DemoReport(const std::string& scratch_parent,
                                       bool json) {
  GRANULE_ASSIGN_OR_RETURN(DemoFacts facts, GatherDemoFacts(scratch_parent));
  return json ? DemoJson(facts) : DemoText(facts);
}

CommandResult RunDemo(const std::vector<std::string>& args, bool json) {
  CommandResult result;
  if (!args.empty()) {
    result.exit_code = kExitUsage;
    result.errors.push_back("expects no arguments");
    return result;
  }
  std::error_code error;
  const std::filesystem::path temp =
      std::filesystem::temp_directory_path(error);
  absl::StatusOr<std::string> report =
      DemoReport(error ? "." : temp.string(), json);
  if (!report.ok()) {
    result.exit_code = kExitFailed;
    result.errors.push_back(std::string(report.status().message()));
    return result;
  }
  result.report = *std::move(report);
  return result;
}

}  // namespace granule::cli
