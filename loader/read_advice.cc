// SPDX-License-Identifier: Apache-2.0
#include "loader/read_advice.h"

#include <algorithm>
#include <vector>

#include "platform/status_macros.h"

namespace granule {
namespace {

struct PageRange {
  uint64_t begin, end;  // Region offsets, whole pages.
};

// The pages of `step` that hold PT_LOAD file bytes, in file order.
std::vector<PageRange> SegmentPages(const ElfImage& elf, const MapStep& step,
                                    uint64_t page_size) {
  const uint64_t step_end =
      step.offset + (step.length + page_size - 1) / page_size * page_size;
  std::vector<PageRange> pages;
  for (const Segment& s : elf.segments) {
    if (!s.is_load() || s.filesz == 0) continue;
    const uint64_t from = std::max(s.offset, step.file_offset);
    const uint64_t to =
        std::min(s.offset + s.filesz, step.file_offset + step.length);
    if (from >= to) continue;
    const uint64_t begin = step.offset + (from - step.file_offset);
    const uint64_t end = step.offset + (to - step.file_offset);
    PageRange r = {
        begin / page_size * page_size,
        std::min(step_end, (end + page_size - 1) / page_size * page_size)};
    if (!pages.empty() && r.begin <= pages.back().end) {
      pages.back().end = std::max(pages.back().end, r.end);  // Shared page.
    } else {
      pages.push_back(r);
    }
  }
  return pages;
}

}  // namespace

absl::Status AdviseSegmentsOnly(Region& region, const ElfImage& elf,
                                const MapStep& step) {
  const uint64_t page_size = region.backend().geometry().page_size();
  const std::vector<PageRange> pages = SegmentPages(elf, step, page_size);
  uint64_t used = 0;
  for (const PageRange& r : pages) used += r.end - r.begin;
  const uint64_t mapped = (step.length + page_size - 1) / page_size * page_size;
  if (used == mapped) return absl::OkStatus();  // No padding to keep out.
  GRANULE_RETURN_IF_ERROR(
      region.Advise(step.offset, step.length, AccessAdvice::kRandom));
  for (const PageRange& r : pages) {
    GRANULE_RETURN_IF_ERROR(
        region.Advise(r.begin, r.end - r.begin, AccessAdvice::kWillNeed));
  }
  return absl::OkStatus();
}

}  // namespace granule
