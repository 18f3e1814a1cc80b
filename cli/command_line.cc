// SPDX-License-Identifier: Apache-2.0
#include "cli/command_line.h"

#include <algorithm>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"

namespace granule::cli {
namespace {

bool IsHelpFlag(absl::string_view name) {
  return name == "help" || name == "h" || name == "helpfull" ||
         name == "helpshort";
}

struct FlagArgument {
  std::string name;  // Abseil's spelling: underscores.
  bool has_value;
  std::string value;
};

// "--page-size=4k" -> {"page_size", true, "4k"}; "-o" -> {"output", false}.
FlagArgument SplitFlag(absl::string_view arg) {
  arg.remove_prefix(absl::StartsWith(arg, "--") ? 2 : 1);
  FlagArgument flag;
  const size_t equals = arg.find('=');
  flag.has_value = equals != absl::string_view::npos;
  if (flag.has_value) flag.value = std::string(arg.substr(equals + 1));
  flag.name = absl::StrReplaceAll(arg.substr(0, equals), {{"-", "_"}});
  if (flag.name == "o") flag.name = "output";
  return flag;
}

std::string Spelling(absl::string_view name) {
  return absl::StrCat("--", absl::StrReplaceAll(name, {{"_", "-"}}));
}

// Finds the flag; a bool flag may also be negated as --noNAME.
absl::CommandLineFlag* FindFlag(FlagArgument& flag) {
  if (absl::CommandLineFlag* found = absl::FindCommandLineFlag(flag.name)) {
    return found;
  }
  if (absl::StartsWith(flag.name, "no") && !flag.has_value) {
    absl::CommandLineFlag* positive =
        absl::FindCommandLineFlag(flag.name.substr(2));
    if (positive != nullptr && positive->IsOfType<bool>()) {
      flag = {flag.name.substr(2), true, "false"};
      return positive;
    }
  }
  return nullptr;
}

}  // namespace

absl::StatusOr<NormalizedArgs> NormalizeArgs(
    const std::vector<std::string>& argv) {
  NormalizedArgs out;
  if (argv.empty()) return out;
  out.argv.push_back(argv[0]);
  for (size_t i = 1; i < argv.size(); ++i) {
    const std::string& arg = argv[i];
    if (arg == "--") {
      out.argv.insert(out.argv.end(), argv.begin() + i, argv.end());
      break;
    }
    if (arg.size() < 2 || arg[0] != '-') {
      out.argv.push_back(arg);
      continue;
    }
    FlagArgument flag = SplitFlag(arg);
    if (IsHelpFlag(flag.name)) {
      out.help = true;
      continue;
    }
    absl::CommandLineFlag* registered = FindFlag(flag);
    if (registered == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrFormat("unknown flag '%s'", arg));
    }
    if (!flag.has_value) {
      if (registered->IsOfType<bool>()) {
        flag.value = "true";
      } else if (i + 1 < argv.size()) {
        flag.value = argv[++i];
      } else {
        return absl::InvalidArgumentError(absl::StrFormat(
            "flag '%s' needs a value: %s=VALUE", arg, Spelling(flag.name)));
      }
    }
    // Parsing sets the flag now; absl::ParseCommandLine sets it again to the
    // same value.
    std::string error;
    if (!registered->ParseFrom(flag.value, &error)) {
      return absl::InvalidArgumentError(
          absl::StrFormat("bad value '%s' for flag %s: %s", flag.value,
                          Spelling(flag.name), error));
    }
    out.flags_used.insert(flag.name);
    out.argv.push_back(absl::StrCat("--", flag.name, "=", flag.value));
  }
  return out;
}

std::string FlagsHelp(absl::string_view defined_in,
                      const std::set<std::string>& only) {
  std::vector<absl::CommandLineFlag*> flags;
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    if (!absl::EndsWith(flag->Filename(), defined_in)) continue;
    if (only.empty() || only.count(std::string(name)) > 0) {
      flags.push_back(flag);
    }
  }
  std::sort(flags.begin(), flags.end(),
            [](const auto* a, const auto* b) { return a->Name() < b->Name(); });
  std::vector<std::string> spellings;
  size_t width = 0;
  for (const absl::CommandLineFlag* flag : flags) {
    std::string spelling = Spelling(flag->Name());
    if (!flag->IsOfType<bool>()) absl::StrAppend(&spelling, "=VALUE");
    width = std::max(width, spelling.size());
    spellings.push_back(std::move(spelling));
  }
  std::string out;
  for (size_t i = 0; i < flags.size(); ++i) {
    const absl::CommandLineFlag* flag = flags[i];
    absl::StrAppendFormat(&out, "  %-*s  %s", width, spellings[i],
                          flag->Help());
    if (!flag->IsOfType<bool>() && !flag->DefaultValue().empty()) {
      absl::StrAppendFormat(&out, " (default: %s)", flag->DefaultValue());
    }
    out += "\n";
  }
  return out;
}

}  // namespace granule::cli
