// SPDX-License-Identifier: Apache-2.0
// What a load of an image on one page geometry does, as a value: the route
// (the file mapped whole, mapped segment by segment with the misfits copied,
// or copied whole to the heap) and, for each refusal, its reason as data:
// which program headers, which unit, which value. Planning produces it
// without touching memory, so `granule check` and a load agree by
// construction. Messages carry no file path; the caller that knows the file
// (LoadImage, the C API, the command) names it once.
#ifndef GRANULE_LOADER_LOAD_VERDICT_H_
#define GRANULE_LOADER_LOAD_VERDICT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "platform/page_geometry.h"

namespace granule {

// The unit a refusal is measured in.
enum class Unit {
  kPage,                   // The protection unit.
  kAllocationGranularity,  // The placement unit.
};
const char* UnitName(Unit unit);  // "page size", "allocation granularity"

// Why a geometry cannot map an image (or one segment of it) from the file.
struct Refusal {
  enum class Kind {
    // The unit does not divide p_align of program_headers[0] (`value`).
    kUnitDoesNotDivideAlign,
    // program_headers[0] and [1] share the unit starting at `value`, and
    // each needs its own protection.
    kSegmentsShareUnit,
    // The zero-filled part of program_headers[0] starts at `value`, not on
    // the allocation granularity.
    kZeroFillOffUnit,
    // The file window (File::RestrictToWindow) starts at `value`, not on
    // the allocation granularity.
    kWindowStartOffUnit,
    // p_offset and p_vaddr of program_headers[0] differ modulo the unit
    // (`value` is p_offset), so no mapping can place its file bytes.
    kOffsetIncongruent,
    // The caller asked for the heap copy (LoadOptions::path).
    kCopyRequested,
  };
  Kind kind = Kind::kCopyRequested;
  std::vector<int> program_headers;
  Unit unit = Unit::kPage;
  uint64_t unit_bytes = 0;  // The unit's size on this geometry.
  uint64_t value = 0;       // The offending value, as the kind says.

  // Worded for a user: "page size 64 KiB does not divide p_align 4 KiB of
  // program header 2".
  std::string Message() const;
  friend bool operator==(const Refusal& a, const Refusal& b);
};

enum class LoadRoute {
  kSharedWhole,  // Every segment mapped from the file.
  kPerSegment,   // What fits mapped from the file, the rest copied in place.
  kCopy,         // The heap copy (the malloc path).
};
const char* LoadRouteName(LoadRoute route);  // "shared", "per-segment", "copy"

// One PT_LOAD segment on the per-segment route.
struct SegmentVerdict {
  enum class Route { kMapped, kPartlyMapped, kCopied };
  int program_header = 0;
  Route route = Route::kMapped;
  // Why not every page is mapped (empty when kMapped).
  std::vector<Refusal> why;
  // Bytes of the segment's pages (p_memsz rounded to pages) mapped from the
  // file, and copied into anonymous memory. Zero-filled pages past the file
  // bytes count as neither.
  uint64_t bytes_mapped = 0;
  uint64_t bytes_copied = 0;
};
const char* SegmentRouteName(SegmentVerdict::Route route);
// "mapped", "partly mapped", "copied"

struct LoadVerdict {
  LoadRoute route = LoadRoute::kSharedWhole;
  PageGeometry geometry = *PageGeometry::Create(1, 1);
  uint64_t largest_align = 0;  // The image's largest PT_LOAD p_align.
  // Why the image is not mapped whole (set unless kSharedWhole).
  std::optional<Refusal> refusal;
  // kPerSegment only: one per PT_LOAD with memory, in header order.
  std::vector<SegmentVerdict> segments;
  // Totals over the image's segments: bytes mapped from the file and bytes
  // copied. kSharedWhole counts every file page mapped, kCopy every one
  // copied.
  uint64_t bytes_mapped = 0;
  uint64_t bytes_copied = 0;

  bool shared_whole() const { return route == LoadRoute::kSharedWhole; }
  // "page 4 KiB, ... divides every p_align (largest 64 KiB)", or the
  // refusal's message followed by the geometry in parentheses.
  std::string Reason() const;
};

}  // namespace granule

#endif  // GRANULE_LOADER_LOAD_VERDICT_H_
