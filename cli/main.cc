// SPDX-License-Identifier: Apache-2.0
// The granule command: checks the command line, then hands it to one
// subcommand. Each prints a report (text, or one JSON object with --json) and
// exits 0, 1 when the work failed, 2 when the command line is wrong.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "capi/granule.h"
#include "cli/check_command.h"
#include "cli/command.h"
#include "cli/command_line.h"
#include "cli/demo_command.h"
#include "cli/link_command.h"
#include "cli/load_command.h"
#include "cli/map_command.h"
#include "cli/platform_report.h"
#include "platform/memory_backend.h"

ABSL_FLAG(bool, json, false, "print the report as one JSON object");
ABSL_FLAG(std::string, page_size, granule::cli::kDefaultPageSizes,
          "check, map: the machines to judge for, as a comma-separated list "
          "of SIZE or PAGE/GRANULARITY (k and m suffixes); map's default is "
          "4k,16k,64k");
ABSL_FLAG(std::string, path, "auto",
          "load: auto (shared when this machine allows), shared, or malloc");
ABSL_FLAG(bool, allow_exec, false,
          "load: make executable segments executable (else read-only)");
ABSL_FLAG(bool, copy, false,
          "load: read the file into private memory instead of mapping it, so "
          "later changes to the file cannot reach the image (no page "
          "sharing)");
ABSL_FLAG(bool, populate, false,
          "load: fault in the writable file pages in one call before "
          "relocating, instead of one fault per page written");
ABSL_FLAG(std::string, relocation_base, "",
          "load: relocate as if the image's address 0 were at this address "
          "(e.g. 0x10000000 for an ELF32 image on a 64-bit host)");
ABSL_FLAG(bool, verbose, false,
          "load: report every file, not only the totals, past 20 files");
ABSL_FLAG(bool, svg, false, "map: draw an SVG document instead of text");
ABSL_FLAG(std::string, output, "", "link: the image file to write (-o)");

namespace granule::cli {
namespace {

constexpr char kUsageText[] =
    "granule COMMAND [ARGUMENTS] [FLAGS]\n\n"
    "Commands:\n"
    "  info              page size, allocation granularity and memory "
    "backend here\n"
    "  check FILE...     which path each ELF image would take, per page "
    "size\n"
    "  load FILE...      load each image; the path taken, protections, "
    "dynamic\n"
    "                    entries, timings\n"
    "  link DESCRIPTION -o OUT\n"
    "                    write the image a text description specifies\n"
    "                    (see cli/testdata/sample.image)\n"
    "  map FILE          draw the image's segments against 4K/16K/64K page\n"
    "                    boundaries and mark the pages two protections share\n"
    "                    (text, --svg or --json)\n"
    "  demo              write a sample image, load it by both paths here "
    "and on\n"
    "                    simulated 4K/16K/64K/256K-page and Windows "
    "machines\n";

struct Command {
  // Runs the command on its positional arguments (after the command name).
  CommandResult (*run)(const std::vector<std::string>& args, bool json);
  std::set<std::string> flags;  // Besides --json.
  // When set, --page-size's default for this command.
  const char* page_size_default = nullptr;
};

CommandResult UsageError(const std::string& message) {
  CommandResult result;
  result.exit_code = kExitUsage;
  result.errors.push_back(message);
  return result;
}

CommandResult Info(const std::vector<std::string>& args, bool json) {
  if (!args.empty()) return UsageError("expects no arguments");
  CommandResult result;
  absl::StatusOr<MemoryBackend*> backend = HostMemoryBackend();
  if (!backend.ok()) {
    result.exit_code = kExitFailed;
    result.errors.push_back(std::string(backend.status().message()));
    return result;
  }
  result.report =
      PlatformReport((*backend)->geometry(), (*backend)->traits(), json);
  return result;
}

CommandResult Check(const std::vector<std::string>& args, bool json) {
  return RunCheck(args, absl::GetFlag(FLAGS_page_size), json);
}

CommandResult Load(const std::vector<std::string>& args, bool json) {
  LoadFlags flags;
  flags.path = absl::GetFlag(FLAGS_path);
  flags.allow_execute = absl::GetFlag(FLAGS_allow_exec);
  flags.copy_file_bytes = absl::GetFlag(FLAGS_copy);
  flags.populate_writable = absl::GetFlag(FLAGS_populate);
  flags.verbose = absl::GetFlag(FLAGS_verbose);
  flags.relocation_base = absl::GetFlag(FLAGS_relocation_base);
  flags.json = json;
  return RunLoad(args, flags);
}

CommandResult Link(const std::vector<std::string>& args, bool json) {
  return RunLink(args, absl::GetFlag(FLAGS_output), json);
}

CommandResult Map(const std::vector<std::string>& args, bool json) {
  if (json && absl::GetFlag(FLAGS_svg)) {
    return UsageError("--svg and --json exclude each other");
  }
  const MapFormat format = json                       ? MapFormat::kJson
                           : absl::GetFlag(FLAGS_svg) ? MapFormat::kSvg
                                                      : MapFormat::kText;
  return RunMap(args, absl::GetFlag(FLAGS_page_size), format);
}

const std::map<std::string, Command>& Commands() {
  static const auto* commands = new std::map<std::string, Command>{
      {"info", {Info, {}}},
      {"check", {Check, {"page_size"}}},
      {"load",
       {Load,
        {"path", "allow_exec", "copy", "populate", "relocation_base",
         "verbose"}}},
      {"link", {Link, {"output"}}},
      // Not check's default: 4k/64k draws the same pages as 4k.
      {"map", {Map, {"page_size", "svg"}, kDefaultMapPageSizes}},
      {"demo", {RunDemo, {}}},
  };
  return *commands;
}

std::string HelpText() {
  return absl::StrCat(kUsageText, "\nFlags:\n", FlagsHelp("cli/main.cc"));
}

int Finish(const std::string& command, const CommandResult& result) {
  absl::PrintF("%s", result.report);
  for (const std::string& error : result.errors) {
    absl::FPrintF(stderr, "granule %s: %s\n", command, error);
  }
  if (result.exit_code == kExitUsage) {
    absl::FPrintF(stderr, "\n%s", kUsageText);
  }
  return result.exit_code;
}

// A flag given to a command that does not use it is a mistake worth naming.
absl::Status CheckFlagsApply(const std::string& command_name,
                             const Command& command,
                             const std::set<std::string>& used) {
  for (const std::string& flag : used) {
    if (flag != "json" && command.flags.count(flag) == 0) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "--%s does not apply to %s", absl::StrReplaceAll(flag, {{"_", "-"}}),
          command_name));
    }
  }
  return absl::OkStatus();
}

// `bazel run` starts the command in its runfiles tree; file arguments are
// meant relative to where the user typed the command.
void EnterWorkingDirectoryOfBazelRun() {
  const char* dir = std::getenv("BUILD_WORKING_DIRECTORY");
  if (dir == nullptr) return;
  std::error_code ignored;  // Then relative paths fail, naming themselves.
  std::filesystem::current_path(dir, ignored);
}

int Run(int argc, char** argv) {
  absl::SetProgramUsageMessage(kUsageText);
  EnterWorkingDirectoryOfBazelRun();
  if (argc == 2 && std::string(argv[1]) == "--version") {
    absl::PrintF("granule %s\n", GRANULE_VERSION_STRING);
    return kExitOk;
  }
  absl::StatusOr<NormalizedArgs> normalized =
      NormalizeArgs(std::vector<std::string>(argv, argv + argc));
  if (!normalized.ok()) {
    absl::FPrintF(stderr, "granule: %s\n\n%s", normalized.status().message(),
                  HelpText());
    return kExitUsage;
  }
  if (normalized->help) {
    absl::PrintF("%s", HelpText());
    return kExitOk;
  }
  std::vector<char*> abseil_argv;
  for (std::string& arg : normalized->argv) abseil_argv.push_back(arg.data());
  std::vector<char*> positional = absl::ParseCommandLine(
      static_cast<int>(abseil_argv.size()), abseil_argv.data());
  if (positional.size() < 2) {
    absl::FPrintF(stderr, "granule: expected a command\n\n%s", HelpText());
    return kExitUsage;
  }
  const std::string name = positional[1];
  auto command = Commands().find(name);
  if (command == Commands().end()) {
    absl::FPrintF(stderr, "granule: unknown command '%s'\n\n%s", name,
                  HelpText());
    return kExitUsage;
  }
  if (absl::Status s =
          CheckFlagsApply(name, command->second, normalized->flags_used);
      !s.ok()) {
    return Finish(name, UsageError(std::string(s.message())));
  }
  if (command->second.page_size_default != nullptr &&
      normalized->flags_used.count("page_size") == 0) {
    absl::SetFlag(&FLAGS_page_size, command->second.page_size_default);
  }
  const std::vector<std::string> args(positional.begin() + 2, positional.end());
  return Finish(name, command->second.run(args, absl::GetFlag(FLAGS_json)));
}

}  // namespace
}  // namespace granule::cli

int main(int argc, char** argv) { return granule::cli::Run(argc, argv); }
