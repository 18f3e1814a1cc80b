// SPDX-License-Identifier: Apache-2.0
#include "loader/segment_fit.h"

#include <cstdint>
#include <variant>

#include "loader/load_plan.h"
#include "platform/status_macros.h"

namespace granule {

absl::StatusOr<LoadVerdict> CheckLayout(const ElfImage& image,
                                        const PageGeometry& geometry) {
  LoadVerdict verdict;
  verdict.geometry = geometry;
  verdict.largest_align = image.max_load_align();
  PlanOptions whole;
  whole.map_whole_file = true;
  whole.max_span = UINT64_MAX;  // The loader's limit is the loader's verdict.
  GRANULE_ASSIGN_OR_RETURN(PlanOrRefusal plan,
                           PlanLoad(image, geometry, whole));
  if (std::holds_alternative<LoadPlan>(plan)) {
    verdict.bytes_mapped = FilePageBytes(image, geometry.page_size());
    return verdict;
  }
  verdict.refusal = std::get<Refusal>(plan);
  verdict.route = LoadRoute::kCopy;
  verdict.bytes_copied = FilePageBytes(image, 1);
  PlanOptions each;
  each.per_segment = true;
  each.max_span = UINT64_MAX;
  GRANULE_ASSIGN_OR_RETURN(PlanOrRefusal planned,
                           PlanLoad(image, geometry, each));
  const LoadPlan* segments = std::get_if<LoadPlan>(&planned);
  if (segments == nullptr) return verdict;
  verdict.segments = segments->segments;
  if (segments->bytes_mapped > 0) {
    verdict.route = LoadRoute::kPerSegment;
    verdict.bytes_mapped = segments->bytes_mapped;
    verdict.bytes_copied = segments->bytes_copied;
  }
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
