// `granule demo` (until the loader lands): the seed's bug and its fix, shown
// with the platform layer on simulated machines and on this one.
#ifndef GRANULE_CLI_ALIGNMENT_DEMO_H_
#define GRANULE_CLI_ALIGNMENT_DEMO_H_

#include <string>

#include "absl/status/statusor.h"

namespace granule::cli {

// Writes a two-segment file (read-only, then writable) into `scratch_dir`,
// maps it with the writable segment at 4 KiB and at 64 KiB on 4K, 16K, 64K
// and 256K-page machines, a Windows-shaped machine and the host, falls back
// to the malloc backend where a machine refuses, checks every byte, and
// reports the table. The file is removed before returning.
absl::StatusOr<std::string> AlignmentDemo(const std::string& scratch_dir,
                                          bool json);

}  // namespace granule::cli

#endif  // GRANULE_CLI_ALIGNMENT_DEMO_H_
