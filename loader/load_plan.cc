// SPDX-License-Identifier: Apache-2.0
#include "loader/load_plan.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/str_format.h"
#include "platform/checked.h"
#include "platform/status_macros.h"

namespace granule {
namespace {

uint64_t Down(uint64_t value, uint64_t unit) {
  return checked::AlignDown(value, unit);
}
// Callers only round addresses below the image's end, which Planner::Plan
// has checked rounds up without overflow.
uint64_t Up(uint64_t value, uint64_t unit) {
  return *checked::AlignUp(value, unit);
}

Refusal Refuse(Refusal::Kind kind, std::vector<int> headers, Unit unit,
               uint64_t unit_bytes, uint64_t value) {
  return Refusal{kind, std::move(headers), unit, unit_bytes, value};
}

class Planner {
 public:
  Planner(const ElfImage& image, const PageGeometry& geometry,
          const PlanOptions& options)
      : image_(image),
        options_(options),
        page_(geometry.page_size()),
        granule_(geometry.allocation_granularity()),
        geometry_(geometry) {}

  absl::StatusOr<PlanOrRefusal> Plan() {
    GRANULE_RETURN_IF_ERROR(CheckFileCanBeSpanned());
    if (options_.per_segment) {
      GRANULE_RETURN_IF_ERROR(SizeRegion());
      internal::PlanPerSegment(image_, geometry_, options_.allow_execute,
                               plan_);
      PlanRelro();
      MakeRelative();
      return std::move(plan_);
    }
    if (std::optional<Refusal> r = CheckUnitsDivideAlignments()) return *r;
    GRANULE_RETURN_IF_ERROR(SizeRegion());
    std::optional<Refusal> refused =
        options_.map_whole_file && image_.layout == Layout::kOneToOne
            ? PlanWholeFile()
            : PlanEachSegment();
    if (refused) return *refused;
    PlanRelro();
    MakeRelative();
    return std::move(plan_);
  }

 private:
  std::optional<Refusal> CheckUnitsDivideAlignments() const {
    for (const Segment* s : image_.LoadSegments()) {
      const uint64_t align = std::max<uint64_t>(s->align, 1);
      if (geometry_.Divides(align)) continue;
      const bool page_divides = align % page_ == 0;
      // p_align as written: 0 is not 1.
      return Refuse(Refusal::Kind::kUnitDoesNotDivideAlign, {s->index},
                    page_divides ? Unit::kAllocationGranularity : Unit::kPage,
                    page_divides ? granule_ : page_, s->align);
    }
    return std::nullopt;
  }

  // PlanOptions::span_file shows the file at its offsets, which only the 1:1
  // layout can do, and only where no zero-filled memory covers file bytes.
  absl::Status CheckFileCanBeSpanned() const {
    if (!options_.span_file) return absl::OkStatus();
    if (image_.layout != Layout::kOneToOne) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "map_whole_file needs the 1:1 layout (p_offset == p_vaddr), "
          "but the layout is %s",
          LayoutName(image_.layout)));
    }
    uint64_t file_end_of_loads = 0;
    for (const Segment* s : image_.LoadSegments()) {
      file_end_of_loads = std::max(file_end_of_loads, s->offset + s->filesz);
    }
    for (const Segment* s : image_.LoadSegments()) {
      if (s->memsz <= s->filesz) continue;
      const uint64_t lo = s->vaddr + s->filesz, hi = s->vaddr_end();
      if (!image_.section_table_read && lo < image_.file_size) {
        return HiddenFileBytes(*s, "bytes of no known section (the section "
                               "table was not read)", lo);
      }
      for (const Section& section : image_.sections) {
        if (section.type == elf::kShtNobits || section.size == 0) continue;
        if (section.offset < hi && section.offset + section.size > lo) {
          return HiddenFileBytes(*s, "section '" + section.name + "'",
                                 section.offset);
        }
      }
      if (hi > file_end_of_loads && lo < image_.file_size) {
        return HiddenFileBytes(*s, "the bytes after the segments",
                               std::max(lo, file_end_of_loads));
      }
    }
    return absl::OkStatus();
  }

  absl::Status HiddenFileBytes(const Segment& s, const std::string& what,
                               uint64_t offset) const {
    return absl::InvalidArgumentError(absl::StrFormat(
        "map_whole_file cannot show %s at file offset 0x%x in place: "
        "program header %d's zero-filled memory [0x%x, 0x%x) covers it",
        what, offset, s.index, s.vaddr + s.filesz,
        s.vaddr_end()));
  }

  absl::Status SizeRegion() {
    plan_.load_start = options_.span_file ? 0 : image_.load_start();
    plan_.alignment = image_.max_load_align();
    if (options_.per_segment) {
      // Units are counted from the region's start, which must sit on one.
      plan_.alignment = std::max<uint64_t>(plan_.alignment, granule_);
      plan_.load_start = Down(image_.load_start(), plan_.alignment);
    }
    const uint64_t end =
        options_.span_file ? std::max(image_.load_end(), image_.file_size)
                           : image_.load_end();
    if (!checked::AlignUp(end, std::max<uint64_t>(plan_.alignment, granule_))) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "the PT_LOAD segments end at 0x%x, too close to the top of the "
          "address space to place", end));
    }
    // Backends over-reserve by the alignment to align the region, so an
    // alignment past the size limit would defeat the limit.
    if (plan_.alignment > options_.max_span) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "p_align 0x%x of program header %d is more than the limit of "
          "%s (LoadOptions::max_image_size)",
          plan_.alignment, WidestAligned().index,
          FormatBytes(options_.max_span)));
    }
    plan_.span = end - plan_.load_start;
    if (plan_.span > options_.max_span) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "the PT_LOAD segments span 0x%x bytes, more than the limit of "
          "%s (LoadOptions::max_image_size)", plan_.span,
          FormatBytes(options_.max_span)));
    }
    return absl::OkStatus();
  }

  const Segment& WidestAligned() const {
    const Segment* widest = image_.LoadSegments().front();
    for (const Segment* s : image_.LoadSegments()) {
      if (s->align > widest->align) widest = s;
    }
    return *widest;
  }

  // Records protections for the pages [lo, hi) of `s` that sit in one
  // mapping made with `mapped`.
  void AddPiece(const Segment& s, uint64_t lo, uint64_t hi, Protection mapped,
                bool written_during_load) {
    if (lo >= hi) return;
    Protection current = mapped;
    if (written_during_load && mapped != Protection::kReadWrite) {
      plan_.writable_during_load.push_back(
          {lo, hi - lo, Protection::kReadWrite});
      current = Protection::kReadWrite;
    }
    const Protection final = FinalProtection(s, options_.allow_execute);
    if (final != current) plan_.final_protections.push_back({lo, hi - lo, final});
  }

  // The file bytes between p_filesz and the end of their last page, when
  // p_memsz says they are zeros. Returns whether there are any.
  bool AddZeroFill(const Segment& s, uint64_t mapped_file_end) {
    if (s.memsz <= s.filesz) return false;
    const uint64_t lo = s.vaddr + s.filesz;
    const uint64_t hi = std::min(s.vaddr_end(), mapped_file_end);
    if (lo >= hi) return false;
    plan_.zero_fills.push_back({lo, hi - lo});
    return true;
  }

  std::optional<Refusal> AddZeroMapping(const Segment& s, uint64_t lo) {
    const uint64_t hi = Up(s.vaddr_end(), page_);
    if (lo >= hi) return std::nullopt;
    if (lo % granule_ != 0) {
      return Refuse(Refusal::Kind::kZeroFillOffUnit, {s.index},
                    Unit::kAllocationGranularity, granule_, lo);
    }
    const Protection mapped =
        s.writable() ? Protection::kReadWrite : Protection::kRead;
    plan_.maps.push_back({false, lo, 0, hi - lo, mapped});
    AddPiece(s, lo, hi, mapped, false);
    return std::nullopt;
  }

  // A segment starting at `lo` (rounded down to `unit`) must not share a
  // page with the one before it: each needs its own protection.
  std::optional<Refusal> CheckOwnUnit(const Segment* previous,
                                      const Segment& s, uint64_t lo,
                                      uint64_t unit) const {
    if (previous == nullptr || Up(previous->vaddr_end(), page_) <= lo) {
      return std::nullopt;
    }
    return Refuse(Refusal::Kind::kSegmentsShareUnit,
                  {previous->index, s.index},
                  unit == page_ ? Unit::kPage : Unit::kAllocationGranularity,
                  unit, lo);
  }

  // One private mapping of the file's loaded bytes; gaps between segments
  // stay mapped read-only, as Guile's own loader leaves them.
  std::optional<Refusal> PlanWholeFile() {
    const uint64_t file_end =
        options_.span_file ? image_.file_size
                           : std::min(image_.file_size, image_.load_end());
    uint64_t mapped_end = plan_.load_start;
    if (file_end > plan_.load_start) {
      plan_.maps.push_back({true, plan_.load_start, plan_.load_start,
                            file_end - plan_.load_start, Protection::kRead});
      mapped_end = Up(file_end, page_);
    }
    const Segment* previous = nullptr;
    for (const Segment* s : image_.LoadSegments()) {
      if (s->memsz == 0) continue;
      const uint64_t lo = Down(s->vaddr, page_);
      const uint64_t hi = Up(s->vaddr_end(), page_);
      if (std::optional<Refusal> r = CheckOwnUnit(previous, *s, lo, page_)) {
        return r;
      }
      previous = s;
      const bool zero_fill = AddZeroFill(*s, mapped_end);
      AddPiece(*s, lo, std::min(hi, mapped_end), Protection::kRead,
               s->writable() || zero_fill);
      if (std::optional<Refusal> r =
              AddZeroMapping(*s, std::max(lo, mapped_end))) {
        return r;
      }
      mapped_end = std::max(mapped_end, hi);
    }
    return std::nullopt;
  }

  std::optional<Refusal> PlanEachSegment() {
    const Segment* previous = nullptr;
    for (const Segment* s : image_.LoadSegments()) {
      if (s->memsz == 0) continue;
      const uint64_t lo = Down(s->vaddr, granule_);
      if (std::optional<Refusal> r = CheckOwnUnit(previous, *s, lo, granule_)) {
        return r;
      }
      previous = s;
      uint64_t zero_start = lo;
      if (s->filesz > 0) {
        const uint64_t file_end = Up(s->vaddr + s->filesz, page_);
        const bool zero_fill = AddZeroFill(*s, file_end);
        const Protection mapped = s->writable() || zero_fill
                                      ? Protection::kReadWrite
                                      : Protection::kRead;
        plan_.maps.push_back({true, lo, Down(s->offset, granule_),
                              s->vaddr + s->filesz - lo, mapped});
        AddPiece(*s, lo, file_end, mapped, false);
        zero_start = file_end;
      }
      if (std::optional<Refusal> r = AddZeroMapping(*s, zero_start)) return r;
    }
    return std::nullopt;
  }

  // PT_GNU_RELRO: the whole pages inside it become read-only again once
  // relocations are written (glibc's and musl's rule), mapping by mapping.
  void PlanRelro() {
    for (const Segment& s : image_.segments) {
      if (s.type != elf::kPtGnuRelro) continue;
      const uint64_t lo = Up(s.vaddr, page_);
      const uint64_t hi = Down(s.vaddr_end(), page_);
      for (const MapStep& m : plan_.maps) {
        const uint64_t from = std::max(lo, m.offset);
        const uint64_t to = std::min(hi, Up(m.offset + m.length, page_));
        if (from < to) {
          plan_.final_protections.push_back({from, to - from,
                                             Protection::kRead});
        }
      }
    }
  }

  void MakeRelative() {
    const uint64_t start = plan_.load_start;
    for (MapStep& m : plan_.maps) m.offset -= start;
    for (ProtectStep& p : plan_.writable_during_load) p.offset -= start;
    for (ByteRange& z : plan_.zero_fills) z.offset -= start;
    for (ProtectStep& p : plan_.final_protections) p.offset -= start;
  }

  const ElfImage& image_;
  const PlanOptions& options_;
  const uint64_t page_, granule_;
  const PageGeometry geometry_;
  LoadPlan plan_;
};

}  // namespace

Protection FinalProtection(const Segment& segment, bool allow_execute) {
  if (segment.writable()) return Protection::kReadWrite;
  if (segment.executable() && allow_execute) return Protection::kReadExecute;
  return Protection::kRead;
}

uint64_t FilePageBytes(const ElfImage& image, uint64_t unit) {
  uint64_t bytes = 0, counted_to = 0;
  for (const Segment* s : image.LoadSegments()) {
    if (s->filesz == 0) continue;
    const uint64_t lo = std::max(Down(s->vaddr, unit), counted_to);
    // Not yet sized: an end near 2^64 counts to the top.
    const uint64_t hi =
        checked::AlignUp(s->vaddr + s->filesz, unit).value_or(UINT64_MAX);
    if (hi > lo) bytes += hi - lo;
    counted_to = std::max(counted_to, hi);
  }
  return bytes;
}

absl::StatusOr<PlanOrRefusal> PlanLoad(const ElfImage& image,
                                       const PageGeometry& geometry,
                                       const PlanOptions& options) {
  return Planner(image, geometry, options).Plan();
}

}  // namespace granule
