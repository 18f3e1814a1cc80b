// The granule command. Each subcommand prints a report (text, or JSON with
// --json) and exits 0, 1 when the work failed, 2 when the command line is
// wrong.
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_format.h"
#include "cli/alignment_demo.h"
#include "cli/platform_report.h"
#include "platform/memory_backend.h"

ABSL_FLAG(bool, json, false, "Print the report as one JSON object.");

namespace granule::cli {
namespace {

constexpr int kOk = 0, kFailed = 1, kUsage = 2;

constexpr char kUsageText[] =
    "granule COMMAND [--json]\n\n"
    "Commands:\n"
    "  info   page size, allocation granularity and memory backend here\n"
    "  demo   map a two-segment image on simulated machines and this one\n";

absl::StatusOr<std::string> Info(bool json) {
  absl::StatusOr<MemoryBackend*> backend = HostMemoryBackend();
  if (!backend.ok()) return backend.status();
  return PlatformReport((*backend)->geometry(), (*backend)->traits(), json);
}

absl::StatusOr<std::string> Demo(bool json) {
  std::error_code error;
  std::filesystem::path dir = std::filesystem::temp_directory_path(error);
  if (error) dir = ".";
  absl::StatusOr<std::string> demo = AlignmentDemo(dir.string(), json);
  if (!demo.ok() || json) return demo;
  absl::StatusOr<std::string> info = Info(/*json=*/false);
  if (!info.ok()) return info.status();
  return *demo + "\nThis machine:\n" + *info;
}

int Run(int argc, char** argv) {
  absl::SetProgramUsageMessage(kUsageText);
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() != 2) {
    absl::FPrintF(stderr, "granule: expected one command\n\n%s", kUsageText);
    return kUsage;
  }
  const std::string command = args[1];
  const bool json = absl::GetFlag(FLAGS_json);
  absl::StatusOr<std::string> report;
  if (command == "info") {
    report = Info(json);
  } else if (command == "demo") {
    report = Demo(json);
  } else {
    absl::FPrintF(stderr, "granule: unknown command '%s'\n\n%s", command,
                  kUsageText);
    return kUsage;
  }
  if (!report.ok()) {
    absl::FPrintF(stderr, "granule %s: %s\n", command,
                  report.status().ToString());
    return kFailed;
  }
  absl::PrintF("%s", *report);
  return kOk;
}

}  // namespace
}  // namespace granule::cli

int main(int argc, char** argv) { return granule::cli::Run(argc, argv); }
