// SPDX-License-Identifier: Apache-2.0
// The per-segment route: a geometry whose units do not divide the image's
// alignments can still map every allocation unit that one segment alone
// touches, when the segment's file offset is congruent to its address modulo
// that unit. Every other unit (shared by two segments, or incongruent) is
// copied into zero-filled memory at its place in the same region. A copied
// page gets write if any of its segments writes and execute only if all of
// them execute, so data and RELRO never become executable.
#include <algorithm>
#include <vector>

#include "platform/checked.h"
#include "loader/load_plan.h"

namespace granule::internal {
namespace {

uint64_t Down(uint64_t value, uint64_t unit) {
  return checked::AlignDown(value, unit);
}
// PlanLoad sized the region first: every end rounds up without overflow.
uint64_t Up(uint64_t value, uint64_t unit) {
  return *checked::AlignUp(value, unit);
}

// Bytes of [lo, hi) ∩ [lo2, hi2).
uint64_t Overlap(uint64_t lo, uint64_t hi, uint64_t lo2, uint64_t hi2) {
  const uint64_t a = std::max(lo, lo2), b = std::min(hi, hi2);
  return a < b ? b - a : 0;
}

class PerSegmentPlanner {
 public:
  PerSegmentPlanner(const ElfImage& image, const PageGeometry& geometry,
                    bool allow_execute, LoadPlan& plan)
      : page_(geometry.page_size()),
        unit_(geometry.allocation_granularity()),
        allow_execute_(allow_execute),
        plan_(plan) {
    for (const Segment* s : image.LoadSegments()) {
      if (s->memsz > 0) loads_.push_back(s);
    }
    for (const Segment* s : loads_) {
      plan_.segments.emplace_back().program_header = s->index;  // Mapped.
    }
    any_mapped_.assign(loads_.size(), false);
  }

  void Plan() {
    if (loads_.empty()) return;
    const uint64_t first = Down(loads_.front()->vaddr, unit_);
    end_ = Up(loads_.back()->vaddr_end(), page_);
    uint64_t run_start = first;
    int run_owner = Owner(first);
    for (uint64_t u = first; u < end_; u += unit_) {
      const int owner = Owner(u);
      if (owner == run_owner) continue;
      EmitRun(run_start, u, run_owner);
      run_start = u;
      run_owner = owner;
    }
    EmitRun(run_start, end_, run_owner);
    for (size_t i = 0; i < loads_.size(); ++i) {
      SegmentVerdict& v = plan_.segments[i];
      if (v.why.empty()) continue;
      v.route = any_mapped_[i] ? SegmentVerdict::Route::kPartlyMapped
                               : SegmentVerdict::Route::kCopied;
    }
  }

 private:
  static constexpr int kHole = -1;    // No segment touches the unit.
  static constexpr int kCopied = -2;  // Copied in place.

  Unit unit_kind() const {
    return unit_ == page_ ? Unit::kPage : Unit::kAllocationGranularity;
  }

  bool Congruent(const Segment& s) const {
    return s.offset % unit_ == s.vaddr % unit_;
  }

  // The segments whose memory touches the unit at `u`, as indexes.
  std::vector<size_t> Touching(uint64_t u) const {
    std::vector<size_t> found;
    for (size_t i = 0; i < loads_.size(); ++i) {
      if (Overlap(u, u + unit_, loads_[i]->vaddr, loads_[i]->vaddr_end()) > 0) {
        found.push_back(i);
      }
    }
    return found;
  }

  // True when the unit at `u` holds the end of the segment's file pages
  // and zero-filled pages after it, off the unit: zero-filled memory is a
  // placement of its own and cannot start there.
  bool ZeroTailOffUnit(const Segment& s, uint64_t u) const {
    if (s.filesz == 0) return false;
    const uint64_t file_end = Up(s.vaddr + s.filesz, page_);
    return file_end > u && file_end < u + unit_ && file_end % unit_ != 0 &&
           Up(s.vaddr_end(), page_) > file_end;
  }

  // Which load maps the unit at `u` from the file, kCopied or kHole; records
  // each copied unit's reasons against its segments.
  int Owner(uint64_t u) {
    const std::vector<size_t> touching = Touching(u);
    if (touching.empty()) return kHole;
    if (touching.size() == 1) {
      const Segment& s = *loads_[touching[0]];
      if (Congruent(s) && !ZeroTailOffUnit(s, u)) {
        return static_cast<int>(touching[0]);
      }
      Why(touching[0], Congruent(s)
                           ? Refusal{Refusal::Kind::kZeroFillOffUnit,
                                     {s.index}, Unit::kAllocationGranularity,
                                     unit_, Up(s.vaddr + s.filesz, page_)}
                           : Incongruent(s));
      return kCopied;
    }
    for (size_t i : touching) {
      for (size_t j : touching) {
        if (i == j) continue;
        const int a = std::min(loads_[i]->index, loads_[j]->index);
        const int b = std::max(loads_[i]->index, loads_[j]->index);
        Why(i, Refusal{Refusal::Kind::kSegmentsShareUnit, {a, b}, unit_kind(),
                       unit_, u});
      }
      if (!Congruent(*loads_[i])) Why(i, Incongruent(*loads_[i]));
    }
    return kCopied;
  }

  Refusal Incongruent(const Segment& s) const {
    return Refusal{Refusal::Kind::kOffsetIncongruent, {s.index}, unit_kind(),
                   unit_, s.offset};
  }

  void Why(size_t load, const Refusal& refusal) {
    std::vector<Refusal>& why = plan_.segments[load].why;
    if (std::find(why.begin(), why.end(), refusal) == why.end()) {
      why.push_back(refusal);
    }
  }

  void EmitRun(uint64_t lo, uint64_t hi, int owner) {
    hi = std::min(hi, end_);
    if (lo >= hi || owner == kHole) return;
    if (owner == kCopied) {
      EmitCopied(lo, hi);
    } else {
      EmitMapped(lo, hi, static_cast<size_t>(owner));
    }
  }

  void EmitMapped(uint64_t lo, uint64_t hi, size_t load);
  void EmitCopied(uint64_t lo, uint64_t hi);
  Protection PageProtection(uint64_t page) const;

  const uint64_t page_, unit_;
  const bool allow_execute_;
  LoadPlan& plan_;
  std::vector<const Segment*> loads_;
  std::vector<bool> any_mapped_;  // Per load: some unit mapped from file.
  uint64_t end_ = 0;
};

// Units [lo, hi) that `load` alone touches: its file pages mapped, its
// zero-filled pages as zero memory, as the shared path maps a segment.
void PerSegmentPlanner::EmitMapped(uint64_t lo, uint64_t hi, size_t load) {
  const Segment& s = *loads_[load];
  SegmentVerdict& verdict = plan_.segments[load];
  any_mapped_[load] = true;
  const Protection final = FinalProtection(s, allow_execute_);
  const uint64_t file_end = s.vaddr + s.filesz;
  const uint64_t file_pages_end = s.filesz > 0 ? Up(file_end, page_) : lo;
  uint64_t zero_start = lo;
  if (s.filesz > 0 && file_end > lo) {
    const uint64_t mapped_end = std::min(hi, file_pages_end);
    const bool zero_fill = s.memsz > s.filesz && file_end < mapped_end;
    if (zero_fill) {
      plan_.zero_fills.push_back(
          {file_end, std::min(s.vaddr_end(), mapped_end) - file_end});
    }
    const Protection mapped = s.writable() || zero_fill
                                  ? Protection::kReadWrite
                                  : Protection::kRead;
    // The offset is congruent to the address: lo maps from lo's offset.
    plan_.maps.push_back({true, lo, s.offset + lo - s.vaddr,
                          std::min(hi, file_end) - lo, mapped});
    if (final != mapped) {
      plan_.final_protections.push_back({lo, mapped_end - lo, final});
    }
    const uint64_t bytes = mapped_end - std::max(lo, Down(s.vaddr, page_));
    verdict.bytes_mapped += bytes;
    plan_.bytes_mapped += bytes;
    zero_start = mapped_end;
  }
  const uint64_t zero_end = std::min(hi, Up(s.vaddr_end(), page_));
  if (zero_start >= zero_end) return;
  const Protection zeroed =
      s.writable() ? Protection::kReadWrite : Protection::kRead;
  plan_.maps.push_back({false, zero_start, 0, zero_end - zero_start, zeroed});
  if (final != zeroed) {
    plan_.final_protections.push_back(
        {zero_start, zero_end - zero_start, final});
  }
}

// What a copied page ends as: write if any segment on it writes, execute
// only if every one executes (and execution is allowed); R for padding.
Protection PerSegmentPlanner::PageProtection(uint64_t page) const {
  bool any = false, write = false, execute = allow_execute_;
  for (const Segment* s : loads_) {
    if (Overlap(page, page + page_, s->vaddr, s->vaddr_end()) == 0) continue;
    any = true;
    write = write || s->writable();
    execute = execute && s->executable();
  }
  if (!any) return Protection::kRead;
  if (write) return Protection::kReadWrite;
  return execute ? Protection::kReadExecute : Protection::kRead;
}

// Units [lo, hi) copied: one zero-filled writable mapping that the executor
// fills with each segment's file bytes, then page runs protected as their
// segments allow.
void PerSegmentPlanner::EmitCopied(uint64_t lo, uint64_t hi) {
  MapStep copy{false, lo, 0, hi - lo, Protection::kReadWrite};
  copy.copy_segments = true;
  plan_.maps.push_back(copy);
  uint64_t run = lo;
  Protection run_protection = PageProtection(lo);
  for (uint64_t p = lo; p <= hi; p += page_) {
    const Protection protection =
        p < hi ? PageProtection(p) : Protection::kNone;
    if (p < hi && protection == run_protection) continue;
    if (run_protection != Protection::kReadWrite) {
      plan_.final_protections.push_back({run, p - run, run_protection});
    }
    run = p;
    run_protection = protection;
  }
  for (uint64_t p = lo; p < hi; p += page_) {
    bool holds_file_bytes = false;
    for (size_t i = 0; i < loads_.size(); ++i) {
      const Segment& s = *loads_[i];
      if (Overlap(p, p + page_, s.vaddr, s.vaddr + s.filesz) == 0) continue;
      holds_file_bytes = true;
      plan_.segments[i].bytes_copied += page_;
    }
    if (holds_file_bytes) plan_.bytes_copied += page_;
  }
}

}  // namespace

void PlanPerSegment(const ElfImage& image, const PageGeometry& geometry,
                    bool allow_execute, LoadPlan& plan) {
  PerSegmentPlanner(image, geometry, allow_execute, plan).Plan();
}

}  // namespace granule::internal
