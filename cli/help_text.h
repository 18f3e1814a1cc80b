// SPDX-License-Identifier: Apache-2.0
// What `granule --help`, `granule help COMMAND` and `granule COMMAND --help`
// print, and the one-line hint after a bad command line. Each command's flags
// are listed here once; main.cc refuses a flag a command does not list.
#ifndef GRANULE_CLI_HELP_TEXT_H_
#define GRANULE_CLI_HELP_TEXT_H_

#include <set>
#include <string>

#include "absl/strings/string_view.h"

namespace granule::cli {

struct CommandDoc {
  const char* name;
  const char* synopsis;  // "load FILE...".
  const char* summary;   // One line for the command list.
  const char* details;   // Paragraphs for the command's own page.
  const char* example;
  std::set<std::string> flags;  // Abseil names, besides --json.
};

// nullptr for a name that is not a command.
const CommandDoc* FindCommandDoc(absl::string_view name);

// The command list, the flags every command takes, and the exit codes.
std::string GeneralHelp();

// One command's synopsis, details, its flags only, an example, the exit
// codes. `flags_help` lists flags as FlagsHelp does.
std::string CommandHelp(const CommandDoc& doc);

// "Try 'granule help load'." (or 'granule --help' for no command).
std::string UsageHint(absl::string_view command);

}  // namespace granule::cli

#endif  // GRANULE_CLI_HELP_TEXT_H_
