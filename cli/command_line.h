// SPDX-License-Identifier: Apache-2.0
// The command line before Abseil sees it. Abseil's parser exits with status 1
// on an unknown flag or a bad value, and after --help; granule promises 2 for
// a bad command line and 0 for help, and spells flags with hyphens
// (--page-size) and -o for --output. So the arguments are checked and
// rewritten here first, and absl::ParseCommandLine only ever sees good ones.
#ifndef GRANULE_CLI_COMMAND_LINE_H_
#define GRANULE_CLI_COMMAND_LINE_H_

#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace granule::cli {

struct NormalizedArgs {
  bool help = false;  // --help, -h (or --helpfull, --helpshort) was given.
  // argv for absl::ParseCommandLine: flags as --name_with_underscores=value.
  std::vector<std::string> argv;
  std::set<std::string> flags_used;  // Abseil names: "page_size".
};

// Checks every flag in `argv` (argv[0] is the program) against the flags
// registered with Abseil, and its value against the flag's type, by parsing
// it. A flag's value is after '=' or, for a flag that is not a bool, the next
// argument. Arguments after "--" are left alone. InvalidArgument names the
// flag or value at fault.
absl::StatusOr<NormalizedArgs> NormalizeArgs(
    const std::vector<std::string>& argv);

// The flags defined in files whose path ends with `defined_in`, as
// "  --page-size=VALUE  help text (default: ...)" lines, sorted by name;
// only those named in `only` (Abseil names) when it is not empty.
std::string FlagsHelp(absl::string_view defined_in,
                      const std::set<std::string>& only = {});

}  // namespace granule::cli

#endif  // GRANULE_CLI_COMMAND_LINE_H_
