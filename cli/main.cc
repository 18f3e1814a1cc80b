// SPDX-License-Identifier: Apache-2.0
// The granule command: checks the command line, then hands it to one
// subcommand. Each prints a report (text, or one JSON object with --json) and
// exits with one of the codes in cli/command.h (listed by --help).
#include <cstdio>
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "capi/granule.h"
#include "cli/check_command.h"
#include "cli/command.h"
#include "cli/command_line.h"
#include "cli/demo_command.h"
#include "cli/help_text.h"
#include "cli/link_command.h"
#include "cli/load_command.h"
#include "cli/map_command.h"
#include "cli/platform_report.h"
#include "cli/report_json.h"
#include "cli/visible_text.h"
#include "platform/memory/memory_backend.h"

ABSL_FLAG(bool, json, false, "print the report as one JSON object");
ABSL_FLAG(std::string, page_size, granule::cli::kDefaultPageSizes,
          "the machines to judge for, as a comma-separated list of SIZE "
          "or PAGE/GRANULARITY: powers of two from 1k to 1g (k, m and g "
          "suffixes), granularity at least the page size; map's default is "
          "4k,16k,64k");
ABSL_FLAG(std::string, path, "auto",
          "auto (shared when this machine allows), shared, or malloc");
ABSL_FLAG(bool, allow_exec, false,
          "make executable segments executable (else read-only)");
ABSL_FLAG(bool, copy, false,
          "read the file into private memory instead of mapping it, so "
          "later changes to the file cannot reach the image (no page "
          "sharing)");
ABSL_FLAG(bool, populate, false,
          "fault in the writable file pages in one call before "
          "relocating, instead of one fault per page written");
ABSL_FLAG(std::string, cache_dir, "",
          "keep copies of images the shared path refuses for their file "
          "offsets or p_align here, re-laid out for this machine, and map "
          "those shared (off when empty; e.g. $XDG_CACHE_HOME/granule)");
ABSL_FLAG(std::string, relocation_base, "",
          "relocate as if the image's address 0 were at this address "
          "(e.g. 0x10000000 for an ELF32 image on a 64-bit host)");
ABSL_FLAG(bool, verbose, false,
          "report every file in full past 20 files (load: not only the "
          "totals; check: a block per file, not a line)");
ABSL_FLAG(bool, loadable, false,
          "check: also require that granule itself could load each file "
          "(position-independent, relative relocations only, within its size "
          "limit); a file it could not load is invalid input");
ABSL_FLAG(bool, svg, false, "draw an SVG document instead of text");
ABSL_FLAG(std::string, output, "", "the image file to write (-o)");

namespace granule::cli {
namespace {

struct Command {
  // Runs the command on its positional arguments (after the command name).
  CommandResult (*run)(const std::vector<std::string>& args, bool json);
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
  CheckFlags flags;
  flags.page_size_list = absl::GetFlag(FLAGS_page_size);
  flags.json = json;
  flags.verbose = absl::GetFlag(FLAGS_verbose);
  flags.loadable = absl::GetFlag(FLAGS_loadable);
  return RunCheck(args, flags);
}

CommandResult Load(const std::vector<std::string>& args, bool json) {
  LoadFlags flags;
  LoadOptions& options = flags.options;
  if (absl::Status s = ParseLoadFlagValues(absl::GetFlag(FLAGS_path),
                                           absl::GetFlag(FLAGS_relocation_base),
                                           options);
      !s.ok()) {
    return UsageError(std::string(s.message()));
  }
  options.allow_execute = absl::GetFlag(FLAGS_allow_exec);
  options.copy_file_bytes = absl::GetFlag(FLAGS_copy);
  options.populate_writable = absl::GetFlag(FLAGS_populate);
  options.cache.directory = absl::GetFlag(FLAGS_cache_dir);
  flags.verbose = absl::GetFlag(FLAGS_verbose);
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
      {"info", {Info}},
      {"check", {Check}},
      {"load", {Load}},
      {"link", {Link}},
      // Not check's default: 4k/64k draws the same pages as 4k.
      {"map", {Map, kDefaultMapPageSizes}},
      {"demo", {RunDemo}},
  };
  return *commands;
}

// The report goes to stdout; each error once to stderr, and after a bad
// command line a one-line hint rather than the whole usage. With --json,
// stdout always gets one JSON object, an error object if there is no report.
int Finish(const std::string& command, const CommandResult& result,
           bool json) {
  if (!json) {
    absl::PrintF("%s", result.report);
  } else if (result.report.empty()) {
    absl::PrintF("%s", JsonFailure(command, result.exit_code, result.errors));
  } else {
    absl::PrintF("%s", JsonReport(command, result.exit_code, result.report));
  }
  for (const std::string& error : result.errors) {
    absl::FPrintF(stderr, "granule %s: %s\n", command, VisibleText(error));
  }
  if (result.exit_code == kExitUsage) {
    absl::FPrintF(stderr, "%s\n", UsageHint(command));
  }
  return result.exit_code;
}

// Before the flags are parsed: did the user ask for JSON?
bool AsksForJson(const std::vector<std::string>& argv) {
  for (const std::string& arg : argv) {
    if (arg == "--") break;
    if (arg == "--json" || arg == "--json=true" || arg == "-json") return true;
  }
  return false;
}

// A flag given to a command that does not use it is a mistake worth naming.
absl::Status CheckFlagsApply(const CommandDoc& doc,
                             const std::set<std::string>& used) {
  for (const std::string& flag : used) {
    if (flag != "json" && doc.flags.count(flag) == 0) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "--%s does not apply to %s", absl::StrReplaceAll(flag, {{"_", "-"}}),
          doc.name));
    }
  }
  return absl::OkStatus();
}

// The first argument naming a command, for the hint after a bad flag.
std::string CommandNamed(const std::vector<std::string>& argv) {
  for (size_t i = 1; i < argv.size(); ++i) {
    if (FindCommandDoc(argv[i]) != nullptr) return argv[i];
  }
  return "";
}

// `granule help [COMMAND]`, `granule [COMMAND] --help`.
int Help(const std::vector<std::string>& names) {
  if (names.empty()) {
    absl::PrintF("%s", GeneralHelp());
    return kExitOk;
  }
  const CommandDoc* doc = FindCommandDoc(names[0]);
  if (doc == nullptr || names.size() > 1) {
    absl::FPrintF(stderr, "granule help: %s\n%s\n",
                  doc == nullptr
                      ? absl::StrFormat("unknown command '%s'", names[0])
                      : std::string("expects at most one COMMAND"),
                  UsageHint(""));
    return kExitUsage;
  }
  absl::PrintF("%s", CommandHelp(*doc));
  return kExitOk;
}

int UsageFailure(const std::string& command, absl::string_view message,
                 bool json) {
  CommandResult result;
  result.exit_code = kExitUsage;
  result.errors.push_back(std::string(message));
  if (!command.empty()) return Finish(command, result, json);
  if (json) absl::PrintF("%s", JsonFailure("", kExitUsage, result.errors));
  absl::FPrintF(stderr, "granule: %s\n%s\n", VisibleText(message),
                UsageHint(""));
  return kExitUsage;
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
  EnterWorkingDirectoryOfBazelRun();
  if (argc == 2 && std::string(argv[1]) == "--version") {
    absl::PrintF("granule %s\n", GRANULE_VERSION_STRING);
    return kExitOk;
  }
  const std::vector<std::string> raw(argv, argv + argc);
  absl::StatusOr<NormalizedArgs> normalized = NormalizeArgs(raw);
  if (!normalized.ok()) {
    return UsageFailure(CommandNamed(raw), normalized.status().message(),
                        AsksForJson(raw));
  }
  std::vector<char*> abseil_argv;
  for (std::string& arg : normalized->argv) abseil_argv.push_back(arg.data());
  const std::vector<char*> positional = absl::ParseCommandLine(
      static_cast<int>(abseil_argv.size()), abseil_argv.data());
  std::vector<std::string> names(positional.begin() + 1, positional.end());
  if (!names.empty() && names[0] == "help") {
    return Help({names.begin() + 1, names.end()});
  }
  if (normalized->help) {
    return Help({names.begin(), names.begin() + std::min<size_t>(
                                                   names.size(), 1)});
  }
  const bool json = absl::GetFlag(FLAGS_json);
  if (names.empty()) return UsageFailure("", "expected a command", json);
  const std::string& name = names[0];
  const CommandDoc* doc = FindCommandDoc(name);
  auto command = Commands().find(name);
  if (doc == nullptr || command == Commands().end()) {
    return UsageFailure("", absl::StrFormat("unknown command '%s'", name),
                        json);
  }
  if (absl::Status s = CheckFlagsApply(*doc, normalized->flags_used);
      !s.ok()) {
    return UsageFailure(name, s.message(), json);
  }
  if (command->second.page_size_default != nullptr &&
      normalized->flags_used.count("page_size") == 0) {
    absl::SetFlag(&FLAGS_page_size, command->second.page_size_default);
  }
  const std::vector<std::string> args(names.begin() + 1, names.end());
  return Finish(name, command->second.run(args, json), json);
}

}  // namespace
}  // namespace granule::cli

int main(int argc, char** argv) { return granule::cli::Run(argc, argv); }
