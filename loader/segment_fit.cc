// SPDX-License-Identifier: Apache-2.0
#include "loader/segment_fit.h"

#include <algorithm>
#include <cstdint>
#include <variant>

#include "loader/checked.h"
#include "loader/load_plan.h"

namespace granule {
namespace {

uint64_t Down(uint64_t value, uint64_t unit) {
  return checked::AlignDown(value, unit);
}
// The reader has checked that p_vaddr + p_memsz does not overflow; a page
// rounding that would is clamped to the last byte's page.
uint64_t Up(uint64_t value, uint64_t unit) {
  return checked::AlignUp(value, unit).value_or(Down(value, unit));
}

// A neighbour can share a page only when it has the same rights and takes the
// same file bytes there: the same p_flags and the same p_vaddr - p_offset.
bool CanSharePages(const Segment& a, const Segment& b) {
  return a.flags == b.flags && a.vaddr - a.offset == b.vaddr - b.offset;
}

Refusal Refuse(Refusal::Kind kind, std::vector<int> headers, Unit unit,
               uint64_t unit_bytes, uint64_t value) {
  return Refusal{kind, std::move(headers), unit, unit_bytes, value};
}

SegmentVerdict Fit(const ElfImage& image, const Segment& s,
                   const PageGeometry& geometry) {
  const uint64_t page = geometry.page_size();
  const uint64_t granule = geometry.allocation_granularity();
  SegmentVerdict fit;
  fit.program_header = s.index;
  // The pages holding file bytes: what is mapped or copied.
  const uint64_t file_lo = Down(s.vaddr, page);
  const uint64_t file_hi = Up(s.vaddr + s.filesz, page);
  const uint64_t file_pages = s.filesz > 0 ? file_hi - file_lo : 0;
  const uint64_t delta = s.vaddr - s.offset;
  if (s.filesz > 0 && (delta & (granule - 1)) != 0) {
    const bool page_fails = (delta & (page - 1)) != 0;
    fit.route = SegmentVerdict::Route::kCopied;
    fit.why.push_back(Refuse(
        Refusal::Kind::kOffsetIncongruent, {s.index},
        page_fails ? Unit::kPage : Unit::kAllocationGranularity,
        page_fails ? page : granule, s.offset));
    fit.bytes_copied = file_pages;
    return fit;
  }
  // The range a file view of this segment may cover, narrowed past the
  // pages a neighbour with other rights needs.
  uint64_t from = Down(s.vaddr, granule), to = Up(s.vaddr_end(), page);
  for (const Segment* o : image.LoadSegments()) {
    if (o == &s || o->memsz == 0 || CanSharePages(*o, s)) continue;
    const uint64_t o_from = Down(o->vaddr, page);
    const uint64_t o_to = Up(o->vaddr_end(), page);
    if (o->vaddr_end() <= s.vaddr && o_to > from) {
      from = Up(o_to, granule);
      fit.why.push_back(Refuse(
          Refusal::Kind::kSegmentsShareUnit, {s.index, o->index},
          granule == page ? Unit::kPage : Unit::kAllocationGranularity,
          granule, Down(s.vaddr, granule)));
    } else if (o->vaddr >= s.vaddr_end() && o_from < to) {
      to = o_from;
      fit.why.push_back(Refuse(Refusal::Kind::kSegmentsShareUnit,
                               {s.index, o->index}, Unit::kPage, page,
                               Down(s.vaddr_end() - 1, page)));
    }
  }
  const uint64_t lo = std::max(from, file_lo);
  const uint64_t hi = std::min(to, file_hi);
  fit.bytes_mapped = s.filesz > 0 && hi > lo ? hi - lo : 0;
  fit.bytes_copied = file_pages - fit.bytes_mapped;
  if (fit.why.empty()) {
    fit.route = SegmentVerdict::Route::kMapped;
  } else if (fit.bytes_mapped > 0 || (s.filesz == 0 && to > from)) {
    fit.route = SegmentVerdict::Route::kPartlyMapped;
  } else {
    fit.route = SegmentVerdict::Route::kCopied;
  }
  return fit;
}

}  // namespace

std::vector<SegmentVerdict> FitSegments(const ElfImage& image,
                                        const PageGeometry& geometry) {
  std::vector<SegmentVerdict> fits;
  for (const Segment* s : image.LoadSegments()) {
    if (s->memsz > 0) fits.push_back(Fit(image, *s, geometry));
  }
  return fits;
}

absl::StatusOr<LoadVerdict> CheckLayout(const ElfImage& image,
                                        const PageGeometry& geometry) {
  PlanOptions options;
  options.map_whole_file = true;
  options.max_span = UINT64_MAX;
  absl::StatusOr<PlanOrRefusal> plan = PlanLoad(image, geometry, options);
  if (!plan.ok()) return plan.status();
  LoadVerdict verdict;
  verdict.geometry = geometry;
  verdict.largest_align = image.max_load_align();
  const Refusal* refusal = std::get_if<Refusal>(&*plan);
  if (refusal == nullptr) return verdict;
  verdict.refusal = *refusal;
  verdict.segments = FitSegments(image, geometry);
  bool some_mapped = false;
  for (const SegmentVerdict& fit : verdict.segments) {
    some_mapped |= fit.route != SegmentVerdict::Route::kCopied;
    verdict.bytes_mapped += fit.bytes_mapped;
    verdict.bytes_copied += fit.bytes_copied;
  }
  verdict.route = some_mapped ? LoadRoute::kPerSegment : LoadRoute::kCopy;
  return verdict;
}

bool EverySegmentMapped(const LoadVerdict& verdict) {
  if (verdict.shared_whole()) return true;
  if (verdict.route == LoadRoute::kCopy) return false;
  for (const SegmentVerdict& fit : verdict.segments) {
    if (fit.route != SegmentVerdict::Route::kMapped) return false;
  }
  return true;
}

}  // namespace granule
