// SPDX-License-Identifier: Apache-2.0
// Internal to the loader: which path a load takes and its plan, decided by
// planning alone (nothing mapped). LoadImage executes the decision;
// CheckLoad and the image cache ask the same planner.
#ifndef GRANULE_LOADER_PATH_DECISION_H_
#define GRANULE_LOADER_PATH_DECISION_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "loader/elf/elf_image.h"
#include "loader/load_plan.h"
#include "loader/load_verdict.h"
#include "loader/loaded_image.h"
#include "platform/memory/memory_backend.h"

namespace granule::internal {

// The path, its backend, the plan to execute and the verdict to report.
struct PathDecision {
  LoadPath path;
  MemoryBackend* backend;
  LoadPlan plan;
  LoadVerdict verdict;
};

// Decides the path for `elf`, read from a file whose window starts at
// `window_start`, under `options`: the shared path whole, else (kAuto)
// segment by segment when that maps anything, else the heap copy; an error
// when no path can take it or the shared path is required and refused.
absl::StatusOr<PathDecision> DecidePath(const ElfImage& elf,
                                        uint64_t window_start,
                                        const LoadOptions& options);

}  // namespace granule::internal

#endif  // GRANULE_LOADER_PATH_DECISION_H_
