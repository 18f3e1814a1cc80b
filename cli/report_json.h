// SPDX-License-Identifier: Apache-2.0
// The parts of the --json reports that several commands share, so that one
// thing has one name and one shape everywhere (docs/json.md).
#ifndef GRANULE_CLI_REPORT_JSON_H_
#define GRANULE_CLI_REPORT_JSON_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "cli/json.h"
#include "cli/page_sizes.h"
#include "loader/elf/elf_image.h"
#include "loader/load_verdict.h"

namespace granule::cli {

// The "schema" of every report; raised when a field changes meaning or goes
// away, not when one is added.
inline constexpr int kJsonSchema = 2;

// A program header: index, type, flags, offset, vaddr, filesz, memsz, align.
// Callers may add fields.
JsonObject SegmentJson(const Segment& segment);

// "LOAD", "DYNAMIC", "GNU_RELRO", else the number in hex.
std::string SegmentTypeName(uint32_t type);

// One page size's verdict: token, page_size, allocation_granularity,
// load_path ("malloc" on the copy route, else "shared", as `load` reports
// it), reason (why not mapped whole; empty when whole) and route
// (LoadRouteName). Callers may add fields.
JsonObject VerdictJson(const PageSizeChoice& choice,
                        const LoadVerdict& verdict);

// `body` (a JSON object) with schema, command and exit_code first.
std::string JsonReport(absl::string_view command, int exit_code,
                       absl::string_view body);

// What a command that has no report prints with --json: schema, command,
// exit_code and the error (the errors joined by "; " when several).
std::string JsonFailure(absl::string_view command, int exit_code,
                        const std::vector<std::string>& errors);

}  // namespace granule::cli

#endif  // GRANULE_CLI_REPORT_JSON_H_
