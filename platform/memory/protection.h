// SPDX-License-Identifier: Apache-2.0
// Page protections, and the record of them a region keeps per mapping.
#ifndef GRANULE_PLATFORM_MEMORY_PROTECTION_H_
#define GRANULE_PLATFORM_MEMORY_PROTECTION_H_

#include <cstddef>

#include "absl/container/inlined_vector.h"
#include "absl/types/span.h"

namespace granule {

// Writable and executable together is deliberately not expressible.
enum class Protection { kNone, kRead, kReadWrite, kReadExecute };
const char* ProtectionName(Protection protection);  // "none", "R", "RW", "RX"

// The protection of every page of one mapping, [start, end), as runs: a run
// lasts from its start to the next run's start or the mapping's end. An
// image's mapping has one to three runs, so they are kept inline, and
// changing one allocates nothing.
class ProtectionRuns {
 public:
  struct Run {
    size_t start;
    Protection protection;
  };

  ProtectionRuns(size_t start, size_t end, Protection protection)
      : end_(end), runs_{{start, protection}} {}

  // `offset` lies inside the mapping.
  Protection At(size_t offset) const { return RunAt(offset)->protection; }

  // [start, end), inside the mapping, becomes one run; the pages after it
  // keep the protection they had.
  void Set(size_t start, size_t end, Protection protection);

  // The runs that [start, end), inside the mapping, meets, in order.
  absl::Span<const Run> Overlapping(size_t start, size_t end) const;

 private:
  using Runs = absl::InlinedVector<Run, 4>;
  // The first run starting after `offset`.
  Runs::const_iterator After(size_t offset) const;
  Runs::const_iterator RunAt(size_t offset) const { return After(offset) - 1; }

  size_t end_;
  Runs runs_;  // By start; the first starts at the mapping's start.
};

}  // namespace granule

#endif  // GRANULE_PLATFORM_MEMORY_PROTECTION_H_
