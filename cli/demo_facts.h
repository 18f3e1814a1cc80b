// SPDX-License-Identifier: Apache-2.0
// What `granule demo` finds out, gathered apart from how it is shown: the
// loads on this machine, the pointers followed, the byte comparison, and the
// replays on simulated machines.
#ifndef GRANULE_CLI_DEMO_FACTS_H_
#define GRANULE_CLI_DEMO_FACTS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cli/image_report.h"
#include "loader/loaded_image.h"
#include "platform/memory/simulated_machines.h"

namespace granule::cli {

inline constexpr uint64_t kKiB = 1024;

// A relocated word of .data, followed.
struct PointerFact {
  std::string place;   // ".data+0"
  std::string target;  // ".rodata"
  uintptr_t value;     // The word after relocation: the target's address.
  std::string seen;    // What the pointer shows when followed.
};

// A segment found identical in the shared-path and malloc-path loads.
struct SegmentAgreement {
  int index;
  uint64_t size;
};

struct LoadOutcome {
  LoadPath path;
  LoadRoute route;
  std::string reason;
};

// The demo replays on every simulated machine granule runs on, the tests'
// own table.
struct MachineFacts {
  const SimulatedMachine* machine;
  LoadOutcome aligned_64k;  // The image granule writes.
  LoadOutcome aligned_4k;   // The same image with the old 4 KiB alignment.
};

struct DemoFacts {
  ImageReport shared;                 // Loaded with PathChoice::kAuto.
  ImageReport malloc;                 // Loaded with PathChoice::kMalloc.
  std::vector<PointerFact> pointers;  // Followed in the kAuto load.
  LoadPath compared[2];  // The paths of the two loads compared byte by byte.
  std::vector<SegmentAgreement> agreement;
  std::vector<MachineFacts> machines;
  std::string platform_text;  // `granule info`, and as JSON.
  std::string platform_json;
};

// Writes the sample image twice (64 KiB and 4 KiB segment alignment) into a
// fresh directory under `scratch_parent`, gathers the facts, and removes the
// directory, also on error. A relocated pointer that misses its target, or
// loads that differ, are DataLoss errors.
absl::StatusOr<DemoFacts> GatherDemoFacts(const std::string& scratch_parent);

}  // namespace granule::cli

#endif  // GRANULE_CLI_DEMO_FACTS_H_
