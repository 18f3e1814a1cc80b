// SPDX-License-Identifier: Apache-2.0
// `granule demo`: the loader end to end on a built-in sample. Writes a small
// image (constants, code, relocated data), loads it by the shared path
// and by the malloc path, shows what the kernel enforces and which pages are
// shared, proves the two loads agree byte for byte and that relocated
// pointers point at the right bytes, then replays the load on simulated
// machines (4K, 16K, 64K, 256K pages, Windows) with 64 KiB and 4 KiB
// alignment, and ends with `granule info`.
#ifndef GRANULE_CLI_DEMO_COMMAND_H_
#define GRANULE_CLI_DEMO_COMMAND_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cli/command.h"

namespace granule::cli {

// The demo's report, with its scratch files under `scratch_parent` (removed
// before returning, whatever happens). Any disagreement between the loads is
// an error.
absl::StatusOr<std::string> DemoReport(const std::string& scratch_parent,
                                       bool json);

// No arguments; scratch files go to the system's temporary directory.
CommandResult RunDemo(const std::vector<std::string>& args, bool json);

}  // namespace granule::cli

#endif  // GRANULE_CLI_DEMO_COMMAND_H_
