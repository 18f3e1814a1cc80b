// SPDX-License-Identifier: Apache-2.0
#include <algorithm>

#include "platform/memory/protection.h"

namespace granule {
namespace {

bool StartsBefore(const ProtectionRuns::Run& run, size_t offset) {
  return run.start < offset;
}

}  // namespace

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
  const auto first =
      std::lower_bound(runs_.begin(), runs_.end(), start, StartsBefore);
  const auto last = std::lower_bound(first, runs_.end(), end, StartsBefore);
  runs_.insert(runs_.erase(first, last), Run{start, protection});
}

absl::Span<const ProtectionRuns::Run> ProtectionRuns::Overlapping(
    size_t start, size_t end) const {
  const auto first = RunAt(start);
  const auto last = std::lower_bound(first, runs_.end(), end, StartsBefore);
  return absl::MakeConstSpan(&*first, static_cast<size_t>(last - first));
}

}  // namespace granule
