// SPDX-License-Identifier: Apache-2.0
// `granule link DESCRIPTION --output=OUT` (or -o OUT): writes the image a
// text description (cli/link_description.h) specifies, then reads it back and
// reports it as `granule check` would.
#ifndef GRANULE_CLI_LINK_COMMAND_H_
#define GRANULE_CLI_LINK_COMMAND_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cli/command.h"

namespace granule::cli {

// The whole text of a file, or an error naming it.
absl::StatusOr<std::string> ReadTextFile(const std::string& path);

// `args` are the positional arguments: exactly one description.
CommandResult RunLink(const std::vector<std::string>& args,
                      const std::string& output, bool json);

}  // namespace granule::cli

#endif  // GRANULE_CLI_LINK_COMMAND_H_
