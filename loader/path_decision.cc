// SPDX-License-Identifier: Apache-2.0
#include "loader/path_decision.h"

#include <optional>
#include <utility>
#include <variant>

#include "absl/strings/str_cat.h"
#include "platform/memory/malloc_backend.h"

namespace granule {
namespace {

using internal::PathDecision;

PlanOptions MakePlanOptions(const LoadOptions& options, bool whole_file) {
  PlanOptions plan;
  plan.map_whole_file = whole_file || options.map_whole_file;
  plan.span_file = options.map_whole_file;
  plan.allow_execute = options.allow_execute;
  plan.max_span = options.max_image_size;
  return plan;
}

// A file window (File::RestrictToWindow) is mapped at window_start + each
// segment's offset, so the start must sit on the units a segment must.
std::optional<Refusal> CheckWindowStart(uint64_t window_start,
                                        const PageGeometry& geometry) {
  const uint64_t unit = geometry.allocation_granularity();
  if (window_start % unit == 0) return std::nullopt;
  return Refusal{Refusal::Kind::kWindowStartOffUnit, {},
                 Unit::kAllocationGranularity, unit, window_start};
}

// The plan on the shared path's geometry and its verdict: the image whole,
// else (when `per_segment`) segment by segment if that maps anything, else
// no plan and the refusal.
struct MachinePlan {
  std::optional<LoadPlan> plan;
  LoadVerdict verdict;
};

absl::StatusOr<MachinePlan> PlanOnMachine(const ElfImage& elf,
                                          uint64_t window_start,
                                          const PageGeometry& geometry,
                                          const LoadOptions& options,
                                          bool per_segment) {
  MachinePlan out;
  out.verdict.geometry = geometry;
  out.verdict.largest_align = elf.max_load_align();
  std::optional<Refusal> window = CheckWindowStart(window_start, geometry);
  absl::StatusOr<PlanOrRefusal> whole =
      window ? PlanOrRefusal(*window)
             : PlanLoad(elf, geometry,
                        MakePlanOptions(options, /*whole_file=*/true));
  if (!whole.ok()) return whole.status();
  if (LoadPlan* plan = std::get_if<LoadPlan>(&*whole)) {
    out.verdict.route = LoadRoute::kSharedWhole;
    out.verdict.bytes_mapped = FilePageBytes(elf, geometry.page_size());
    out.plan = std::move(*plan);
    return out;
  }
  out.verdict.refusal = std::get<Refusal>(*whole);
  out.verdict.route = LoadRoute::kCopy;
  out.verdict.bytes_copied = FilePageBytes(elf, 1);
  // Segment by segment shows no file at its offsets (map_whole_file), and
  // a window off the granularity places no file byte.
  // The heap's byte geometry would make a unit of every byte.
  if (!per_segment || window || options.map_whole_file ||
      geometry.page_size() == 1) {
    return out;
  }
  PlanOptions each = MakePlanOptions(options, /*whole_file=*/false);
  each.per_segment = true;
  absl::StatusOr<PlanOrRefusal> planned = PlanLoad(elf, geometry, each);
  if (!planned.ok()) return planned.status();
  LoadPlan* plan = std::get_if<LoadPlan>(&*planned);
  // Nothing mapped shares nothing: the heap copy is then as good.
  if (plan == nullptr || plan->bytes_mapped == 0) return out;
  out.verdict.route = LoadRoute::kPerSegment;
  out.verdict.segments = plan->segments;
  out.verdict.bytes_mapped = plan->bytes_mapped;
  out.verdict.bytes_copied = plan->bytes_copied;
  out.plan = std::move(*plan);
  return out;
}

absl::StatusOr<PathDecision> DecideCopy(const ElfImage& elf,
                                        const LoadOptions& options,
                                        LoadVerdict verdict) {
  MemoryBackend* heap = options.malloc_backend != nullptr
                            ? options.malloc_backend
                            : &HeapMemoryBackend();
  absl::StatusOr<PlanOrRefusal> plan = PlanLoad(
      elf, heap->geometry(), MakePlanOptions(options, /*whole_file=*/false));
  if (!plan.ok()) return plan.status();
  if (const Refusal* r = std::get_if<Refusal>(&*plan)) {
    // The heap's byte geometry divides everything; a refusal is a bug.
    return absl::InternalError(
        absl::StrCat("the heap copy was refused: ", r->Message()));
  }
  verdict.route = LoadRoute::kCopy;
  verdict.bytes_mapped = 0;
  verdict.bytes_copied = FilePageBytes(elf, 1);
  return PathDecision{LoadPath::kMalloc, heap,
                      std::get<LoadPlan>(*std::move(plan)), std::move(verdict)};
}

// The backend of the shared path: the caller's, else this OS's.
absl::StatusOr<MemoryBackend*> SharedBackend(const LoadOptions& options) {
  if (options.shared_backend != nullptr) return options.shared_backend;
  return HostMemoryBackend();
}

}  // namespace

absl::StatusOr<PathDecision> internal::DecidePath(const ElfImage& elf,
                                        uint64_t window_start,
                                        const LoadOptions& options) {
  using Choice = LoadOptions::PathChoice;
  LoadVerdict verdict;
  verdict.largest_align = elf.max_load_align();
  verdict.refusal = Refusal{};  // Refusal::Kind::kCopyRequested.
  verdict.route = LoadRoute::kCopy;
  if (options.path != Choice::kMalloc) {
    absl::StatusOr<MemoryBackend*> backend = SharedBackend(options);
    if (!backend.ok()) return backend.status();
    MemoryBackend* shared = *backend;
    // Required sharing means the image whole: a partly copied image is not
    // what such a caller asked for.
    absl::StatusOr<MachinePlan> planned =
        PlanOnMachine(elf, window_start, shared->geometry(), options,
                      /*per_segment=*/options.path == Choice::kAuto);
    if (!planned.ok()) return planned.status();
    if (planned->plan.has_value()) {
      return PathDecision{LoadPath::kShared, shared, *std::move(planned->plan),
                          std::move(planned->verdict)};
    }
    verdict = std::move(planned->verdict);
    if (options.path == Choice::kShared) {
      return absl::FailedPreconditionError(
          absl::StrCat("the shared path is required but ", verdict.Reason()));
    }
  }
  return DecideCopy(elf, options, std::move(verdict));
}

std::optional<PageGeometry> internal::GeometryNotMappedWhole(
    const File& file, const ElfImage& elf, const LoadOptions& options) {
  if (options.path == LoadOptions::PathChoice::kMalloc) return std::nullopt;
  absl::StatusOr<MemoryBackend*> shared = SharedBackend(options);
  if (!shared.ok()) return std::nullopt;
  const PageGeometry geometry = (*shared)->geometry();
  if (CheckWindowStart(file.window_start(), geometry)) return geometry;
  absl::StatusOr<PlanOrRefusal> whole =
      PlanLoad(elf, geometry, MakePlanOptions(options, /*whole_file=*/true));
  if (!whole.ok() || std::holds_alternative<LoadPlan>(*whole)) {
    return std::nullopt;
  }
  return geometry;
}

absl::StatusOr<LoadVerdict> CheckLoad(const ElfImage& elf,
                                      const PageGeometry& geometry) {
  absl::StatusOr<MachinePlan> planned =
      PlanOnMachine(elf, /*window_start=*/0, geometry, LoadOptions(),
                    /*per_segment=*/true);
  if (!planned.ok()) return planned.status();
  return std::move(planned->verdict);
}

}  // namespace granule
