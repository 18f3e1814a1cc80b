// SPDX-License-Identifier: Apache-2.0
#include "loader/whole_file_first.h"

#include <algorithm>
#include <utility>

#include "platform/memory/address_arena.h"

namespace granule::internal {
namespace {

// Whether the load would map the whole file on the shared path, from what
// is known before the headers are read.
bool MapsWholeFileShared(const File& file, const LoadOptions& options) {
  return options.map_whole_file &&
         options.path != LoadOptions::PathChoice::kMalloc &&
         !options.copy_file_bytes && options.cache.directory.empty() &&
         file.memory() == nullptr && file.size() > 0;
}

// Aligned for every image whose p_align is at most 64 KiB, the alignment
// granule writes; the plan refuses the region if an image wants more.
absl::StatusOr<Region> ReserveFor(const File& file, MemoryBackend& backend,
                                  const LoadOptions& options) {
  const size_t alignment =
      std::max(AddressArena::kSlotUnit,
               backend.geometry().allocation_granularity());
  if (options.arena != nullptr && &options.arena->backend() == &backend) {
    return options.arena->Reserve(file.size(), alignment);
  }
  return backend.Reserve(file.size(), alignment);
}

}  // namespace

absl::StatusOr<std::optional<MappedWholeFile>> MapWholeFileFirst(
    const File& file, const LoadOptions& options) {
  if (!MapsWholeFileShared(file, options)) return std::nullopt;
  absl::StatusOr<MemoryBackend*> backend = SharedBackend(options);
  if (!backend.ok()) return std::nullopt;
  absl::StatusOr<Region> region = ReserveFor(file, **backend, options);
  if (!region.ok()) return std::nullopt;
  if (!region->MapFile(0, file, 0, file.size(), Protection::kRead).ok()) {
    return std::nullopt;
  }
  MappedWholeFile mapped{*std::move(region), ElfImage{}, false};
  absl::StatusOr<ElfImage> elf = ReadMappedElfImage(
      file, mapped.region.data(), &mapped.first_page_was_cached);
  if (!elf.ok()) return elf.status();
  mapped.elf = *std::move(elf);
  return mapped;
}

bool DecisionStartsWithMapping(const PathDecision& decision,
                               const Region& mapped, uint64_t file_size) {
  const LoadPlan& plan = decision.plan;
  if (decision.path != LoadPath::kShared ||
      decision.backend != &mapped.backend() || plan.maps.empty() ||
      plan.span > mapped.size() || mapped.base() % plan.alignment != 0) {
    return false;
  }
  const MapStep& first = plan.maps.front();
  return first.from_file && !first.copy_segments && first.offset == 0 &&
         first.file_offset == 0 && first.length == file_size &&
         first.protection == Protection::kRead;
}

}  // namespace granule::internal
