// SPDX-License-Identifier: Apache-2.0
// How an image's PT_LOAD segments become mappings in one region, for one page
// geometry: the shared path's mmap calls on a real machine, the malloc path's
// reads on the heap (geometry 1 byte), or a simulated machine's. Planning is
// pure arithmetic, so every refusal is decided before anything is mapped.
#ifndef GRANULE_LOADER_LOAD_PLAN_H_
#define GRANULE_LOADER_LOAD_PLAN_H_

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/status/statusor.h"
#include "loader/elf/elf_image.h"
#include "loader/load_verdict.h"
#include "platform/memory/memory_backend.h"
#include "platform/page_geometry.h"

namespace granule {

// Offsets below are relative to the region, whose first byte holds address
// `load_start` of the image.
struct MapStep {
  bool from_file;        // Else zero-filled memory.
  uint64_t offset;       // On the allocation granularity.
  uint64_t file_offset;  // When from_file.
  uint64_t length;       // Bytes; the backend rounds up to pages.
  Protection protection;
  // Zero-filled memory into which the file bytes of every segment in the
  // range are read, each at its address (not from_file): the per-segment
  // route's pages that cannot be mapped from the file.
  bool copy_segments = false;
};

struct ProtectStep {
  uint64_t offset;  // On a page boundary, inside one MapStep.
  uint64_t length;
  Protection protection;
};

struct ByteRange {
  uint64_t offset;
  uint64_t length;
};

// A plan's steps: an image has a few segments, so a plan's lists are held
// inline and planning a typical load allocates nothing.
using MapSteps = absl::InlinedVector<MapStep, 4>;
using ProtectSteps = absl::InlinedVector<ProtectStep, 4>;
using ByteRanges = absl::InlinedVector<ByteRange, 2>;

struct LoadPlan {
  uint64_t load_start = 0;  // Image address at region offset 0.
  uint64_t span = 0;        // Region size.
  uint64_t alignment = 1;   // Region alignment: the largest p_align.
  MapSteps maps;
  // Made writable before relocation: pages that relocations or zero fills
  // write but that are not mapped writable.
  ProtectSteps writable_during_load;
  // Bytes of mapped file pages past p_filesz but inside p_memsz: cleared.
  ByteRanges zero_fills;
  // After relocation: each segment's final protection, then PT_GNU_RELRO.
  ProtectSteps final_protections;
  // PlanOptions::per_segment: what each PT_LOAD became, and the totals.
  std::vector<SegmentVerdict> segments;
  uint64_t bytes_mapped = 0;
  uint64_t bytes_copied = 0;
};

struct PlanOptions {
  // Map the file once rather than segment by segment (the 1:1 layout only):
  // one mmap and the file's read-only pages shared as they are on disk.
  bool map_whole_file = false;
  // With map_whole_file: the region runs from address 0 to the end of the
  // file as well, so every file byte lies at the load bias plus its offset
  // (LoadOptions::map_whole_file). Refused for compact layouts, and where a
  // segment's zero-filled memory would hide file bytes.
  bool span_file = false;
  bool allow_execute = false;  // RX segments become RX; else R.
  // Plan for the geometry as it is, never refusing it: every allocation
  // unit that one segment alone touches, at a file offset congruent to its
  // address, is mapped from the file; the rest is copied in place
  // (MapStep::copy_segments), a copied page getting write if any of its
  // segments writes and execute only if all of them execute. Not with
  // map_whole_file.
  bool per_segment = false;
  uint64_t max_span = uint64_t{1} << 30;
};

// A plan, or why this geometry cannot place the segments on its own units.
using PlanOrRefusal = std::variant<LoadPlan, Refusal>;

// Plans `image` for `geometry`. A Refusal is a verdict, not an error; the
// Status is InvalidArgument for images no geometry loads (too large for
// max_span, map_whole_file on a compact layout). Error texts do not name the
// file: the caller does.
absl::StatusOr<PlanOrRefusal> PlanLoad(const ElfImage& image,
                                       const PageGeometry& geometry,
                                       const PlanOptions& options);

// The protection a segment ends with: R, RW, or RX (R unless allowed).
Protection FinalProtection(const Segment& segment, bool allow_execute);

// Bytes of `unit`-sized pages that hold a PT_LOAD's file bytes, each page
// once: what a whole mapping maps, or a whole copy copies.
uint64_t FilePageBytes(const ElfImage& image, uint64_t unit);

namespace internal {
// The per-segment route's maps, zero fills, protections and verdicts, added
// to `plan` in image addresses (load_plan.cc sizes the region first and
// makes the steps relative after).
void PlanPerSegment(const ElfImage& image, const PageGeometry& geometry,
                    bool allow_execute, LoadPlan& plan);
}  // namespace internal

}  // namespace granule

#endif  // GRANULE_LOADER_LOAD_PLAN_H_
