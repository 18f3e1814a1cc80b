// SPDX-License-Identifier: Apache-2.0
// The validator: for every image the reader accepts, PlanLoad and
// CheckLoad on several page geometries, segment by segment and whole
// file, must refuse with a status or return a plan that stays inside its own
// region (the loader maps and clears exactly what the plan says).
#include <cstddef>
#include <cstdint>
#include <variant>
#include <vector>

#include "loader/elf/elf_image.h"
#include "loader/load_plan.h"
#include "loader/loaded_image.h"
#include "platform/page_geometry.h"
#include "testing/fuzz/fuzz_checks.h"

namespace granule::fuzz {
namespace {

constexpr uint64_t kKiB = 1024;

const std::vector<PageGeometry>& Geometries() {
  static const auto* geometries = [] {
    auto* all = new std::vector<PageGeometry>;
    const uint64_t units[][2] = {
        {4 * kKiB, 4 * kKiB},     {16 * kKiB, 16 * kKiB},
        {64 * kKiB, 64 * kKiB},   {4 * kKiB, 64 * kKiB},
        {256 * kKiB, 256 * kKiB}, {1, 1}};  // The malloc path's.
    for (const auto& u : units) {
      absl::StatusOr<PageGeometry> g = PageGeometry::Create(u[0], u[1]);
      Require(g.ok(), "a fuzzer geometry is invalid");
      all->push_back(*g);
    }
    return all;
  }();
  return *geometries;
}

bool Inside(uint64_t offset, uint64_t length, uint64_t span) {
  return offset <= span && length <= span - offset;
}

void CheckPlan(const LoadPlan& plan, const PlanOptions& options,
               const PageGeometry& geometry) {
  Require(plan.span <= options.max_span, "plan span exceeds max_span");
  // The region is reserved in whole pages: page-rounded steps may reach
  // past the span's last byte, never past its last page.
  const uint64_t page = geometry.page_size();
  Require(plan.span <= UINT64_MAX - page, "plan span near 2^64");
  const uint64_t reserved = (plan.span + page - 1) / page * page;
  Require(plan.alignment != 0 && (plan.alignment & (plan.alignment - 1)) == 0,
          "plan alignment is not a power of two");
  for (const MapStep& m : plan.maps) {
    Require(Inside(m.offset, m.length, reserved), "map step outside span");
    Require(m.offset % geometry.allocation_granularity() == 0,
            "map step not on the allocation granularity");
  }
  for (const ByteRange& z : plan.zero_fills) {
    Require(Inside(z.offset, z.length, plan.span), "zero fill outside span");
  }
  for (const auto* steps :
       {&plan.writable_during_load, &plan.final_protections}) {
    for (const ProtectStep& p : *steps) {
      Require(Inside(p.offset, p.length, reserved),
              "protect step outside span");
    }
  }
}

// The per-segment route never refuses, and stays inside its region.
void PlanPerSegment(const ElfImage& image, const PageGeometry& geometry) {
  PlanOptions each;
  each.per_segment = true;
  absl::StatusOr<PlanOrRefusal> plan = PlanLoad(image, geometry, each);
  if (!plan.ok()) return;
  const LoadPlan* p = std::get_if<LoadPlan>(&*plan);
  Require(p != nullptr, "the per-segment route refused an image");
  if (p != nullptr) CheckPlan(*p, each, geometry);
}

void PlanEverywhere(const ElfImage& image) {
  for (const PageGeometry& geometry : Geometries()) {
    for (bool whole_file : {false, true}) {
      PlanOptions options;
      options.map_whole_file = whole_file;
      options.allow_execute = whole_file;  // Both values, without 4 plans.
      absl::StatusOr<PlanOrRefusal> plan = PlanLoad(image, geometry, options);
      if (!plan.ok()) continue;
      if (const LoadPlan* p = std::get_if<LoadPlan>(&*plan)) {
        CheckPlan(*p, options, geometry);
      } else {
        Require(!std::get<Refusal>(*plan).Message().empty(),
                "a refusal without a reason");
      }
    }
    // The heap's byte geometry never takes this route (a unit per byte).
    if (geometry.page_size() >= 4096) PlanPerSegment(image, geometry);
    absl::StatusOr<LoadVerdict> verdict = CheckLoad(image, geometry);
    Require(!verdict.ok() || verdict->shared_whole() ||
                (verdict->refusal && !verdict->refusal->Message().empty()),
            "a refusal without a reason");
  }
}

}  // namespace
}  // namespace granule::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace granule;
  File file = fuzz::InputFile(data, size);
  absl::StatusOr<ElfImage> image = ReadElfImage(file);
  if (image.ok()) fuzz::PlanEverywhere(*image);
  return 0;
}
