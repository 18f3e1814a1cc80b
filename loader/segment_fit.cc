// SPDX-License-Identifier: Apache-2.0
#include "loader/segment_fit.h"

#include <algorithm>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "loader/checked.h"

namespace granule {
namespace {

uint64_t Down(uint64_t value, uint64_t unit) {
  return checked::AlignDown(value, unit);
}
// The reader has checked that p_vaddr + p_memsz does not overflow; a page
// rounding that would is clamped to the last byte's page end.
uint64_t Up(uint64_t value, uint64_t unit) {
  return checked::AlignUp(value, unit).value_or(Down(value, unit));
}

// A neighbour can share a page only when it has the same rights and takes the
// same file bytes there: the same p_flags and the same p_vaddr - p_offset.
bool CanSharePages(const Segment& a, const Segment& b) {
  return a.flags == b.flags && a.vaddr - a.offset == b.vaddr - b.offset;
}

SegmentFit NotCongruent(const Segment& s, const PageGeometry& geometry) {
  const uint64_t page = geometry.page_size();
  const bool page_fails = ((s.vaddr - s.offset) & (page - 1)) != 0;
  const uint64_t unit = page_fails ? page : geometry.allocation_granularity();
  return SegmentFit{
      s.index, SegmentRoute::kCopied, SegmentMisfit::kNotCongruent,
      absl::StrFormat("p_offset 0x%x and p_vaddr 0x%x differ modulo the %s %s",
                      s.offset, s.vaddr, FormatBytes(unit),
                      page_fails ? "page size" : "allocation granularity"),
      0, s.memsz};
}

SegmentFit Fit(const ElfImage& image, const Segment& s,
               const PageGeometry& geometry) {
  const uint64_t page = geometry.page_size();
  const uint64_t unit = geometry.allocation_granularity();
  if (s.filesz > 0 && ((s.vaddr - s.offset) & (unit - 1)) != 0) {
    return NotCongruent(s, geometry);
  }
  // The range a file view of this segment would cover, narrowed past the
  // pages a neighbour with other rights needs.
  uint64_t from = Down(s.vaddr, unit), to = Up(s.vaddr_end(), page);
  std::vector<std::string> shared;
  for (const Segment* o : image.LoadSegments()) {
    if (o == &s || o->memsz == 0 || CanSharePages(*o, s)) continue;
    const uint64_t o_from = Down(o->vaddr, page), o_to = Up(o->vaddr_end(), page);
    if (o->vaddr_end() <= s.vaddr && o_to > from) {
      from = Up(o_to, unit);
      shared.push_back(absl::StrFormat(
          "its first %s at 0x%x is program header %d's (%s) too",
          unit == page ? "page" : "allocation unit", Down(s.vaddr, unit),
          o->index, o->FlagString()));
    } else if (o->vaddr >= s.vaddr_end() && o_from < to) {
      to = o_from;
      shared.push_back(absl::StrFormat(
          "its last page at 0x%x is program header %d's (%s) too",
          Down(s.vaddr_end() - 1, page), o->index, o->FlagString()));
    }
  }
  const uint64_t lo = std::max(from, s.vaddr);
  const uint64_t hi = std::min(to, s.vaddr_end());
  const uint64_t mapped = hi > lo ? hi - lo : 0;
  if (shared.empty()) {
    return SegmentFit{s.index, SegmentRoute::kMapped, SegmentMisfit::kNone,
                      "", s.memsz, 0};
  }
  return SegmentFit{
      s.index,
      mapped > 0 ? SegmentRoute::kPartlyMapped : SegmentRoute::kCopied,
      SegmentMisfit::kSharesPage, absl::StrJoin(shared, "; "), mapped,
      s.memsz - mapped};
}

}  // namespace

const char* SegmentRouteName(SegmentRoute route) {
  switch (route) {
    case SegmentRoute::kMapped:
      return "mapped";
    case SegmentRoute::kPartlyMapped:
      return "partly mapped";
    case SegmentRoute::kCopied:
      return "copied";
  }
  return "unknown";
}

const char* SegmentMisfitName(SegmentMisfit misfit) {
  switch (misfit) {
    case SegmentMisfit::kNone:
      return "none";
    case SegmentMisfit::kNotCongruent:
      return "offset and address not congruent";
    case SegmentMisfit::kSharesPage:
      return "shares a page with another segment";
  }
  return "unknown";
}

std::vector<SegmentFit> FitSegments(const ElfImage& image,
                                    const PageGeometry& geometry) {
  std::vector<SegmentFit> fits;
  for (const Segment* s : image.LoadSegments()) {
    if (s->memsz > 0) fits.push_back(Fit(image, *s, geometry));
  }
  return fits;
}

}  // namespace granule
