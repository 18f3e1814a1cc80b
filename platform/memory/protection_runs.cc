// SPDX-License-Identifier: Apache-2.0
#include <algorithm>

#include "platform/memory/protection.h"

namespace granule {

ProtectionRuns::Runs::const_iterator ProtectionRuns::After(
    size_t offset) const {
  return std::upper_bound(
      runs_.begin(), runs_.end(), offset,
      [](size_t value, const Run& run) { return value < run.start; });
}

void ProtectionRuns::Set(size_t start, size_t end, Protection protection) {
  if (end < end_) {
    const auto at_end = RunAt(end);
    if (at_end->start != end) {
      runs_.insert(at_end + 1, Run{end, at_end->protection});
    }
  }
  auto by_start = [](const Run& run, size_t value) { return run.start < value; };
  const auto first =
      std::lower_bound(runs_.begin(), runs_.end(), start, by_start);
  const auto last = std::lower_bound(first, runs_.end(), end, by_start);
  runs_.insert(runs_.erase(first, last), Run{start, protection});
}

absl::Span<const ProtectionRuns::Run> ProtectionRuns::Overlapping(
    size_t start, size_t end) const {
  const auto first = RunAt(start);
  const auto last = std::lower_bound(
      first, runs_.end(), end,
      [](const Run& run, size_t value) { return run.start < value; });
  return absl::MakeConstSpan(&*first, static_cast<size_t>(last - first));
}

}  // namespace granule
