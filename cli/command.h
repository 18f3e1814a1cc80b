// SPDX-License-Identifier: Apache-2.0
// What every granule subcommand returns to the dispatcher in main.cc: the
// report for stdout, the errors for stderr, and the exit code. Commands never
// print themselves, so tests can run them as functions.
#ifndef GRANULE_CLI_COMMAND_H_
#define GRANULE_CLI_COMMAND_H_

#include <string>
#include <vector>

namespace granule::cli {

inline constexpr int kExitOk = 0;      // The work was done.
inline constexpr int kExitFailed = 1;  // The work failed; errors say why.
inline constexpr int kExitUsage = 2;   // The command line was wrong.
// check: every file is valid, but on some page size an image would be copied
// to the heap (the malloc path). Scripts that gate on "shares everywhere"
// tell it apart from a broken file.
inline constexpr int kExitWouldCopy = 3;

struct CommandResult {
  int exit_code = kExitOk;
  std::string report;  // For stdout: text, or one JSON object with --json.
  // For stderr, one per line as "granule <command>: <error>".
  std::vector<std::string> errors;
};

}  // namespace granule::cli

#endif  // GRANULE_CLI_COMMAND_H_
