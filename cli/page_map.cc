// SPDX-License-Identifier: Apache-2.0
#include "cli/page_map.h"

#include <algorithm>

#include "absl/strings/str_format.h"
#include "cli/report_json.h"
#include "loader/elf/elf_format.h"
#include "loader/elf/relocation_types.h"

namespace granule::cli {
namespace {

DrawnSegment Drawn(const Segment& s) {
  return DrawnSegment{s.index,  SegmentTypeName(s.type), s.FlagString(),
                      s.vaddr,  s.vaddr_end(),           s.vaddr + s.filesz,
                      s.offset, s.offset + s.filesz,     s};
}

// PT_LOAD segments by address, each followed by the PT_DYNAMIC and
// PT_GNU_RELRO that start inside it.
std::vector<DrawnSegment> DrawnSegments(const ElfImage& elf) {
  LoadSegmentList loads = elf.LoadSegments();
  std::sort(loads.begin(), loads.end(), [](const Segment* a, const Segment* b) {
    return a->vaddr < b->vaddr;
  });
  std::vector<DrawnSegment> drawn;
  for (const Segment* load : loads) {
    drawn.push_back(Drawn(*load));
    for (const Segment& inner : elf.segments) {
      const bool shown =
          inner.type == elf::kPtDynamic || inner.type == elf::kPtGnuRelro;
      if (shown && inner.vaddr >= load->vaddr &&
          inner.vaddr < load->vaddr_end()) {
        drawn.push_back(Drawn(inner));
      }
    }
  }
  return drawn;
}

std::vector<AddressHole> Holes(const std::vector<DrawnSegment>& segments) {
  std::vector<AddressHole> holes;
  const DrawnSegment* previous = nullptr;
  for (const DrawnSegment& s : segments) {
    if (!s.is_load()) continue;
    if (previous != nullptr && s.start > previous->end) {
      holes.push_back({previous->end, s.start, previous->index, s.index});
    }
    if (previous == nullptr || s.end > previous->end) previous = &s;
  }
  return holes;
}

bool Overlaps(uint64_t start, uint64_t end, uint64_t page, uint64_t page_end) {
  return start < page_end && page < end;
}

// The cell for page [page, page_end), and the segments touching it.
PageCell Cell(const std::vector<DrawnSegment>& segments, uint64_t page,
              uint64_t page_end, std::vector<int>* touching) {
  touching->clear();
  const DrawnSegment* first = nullptr;
  bool mixed_flags = false, file_bytes = false;
  for (const DrawnSegment& s : segments) {
    if (!s.is_load() || !Overlaps(s.start, s.end, page, page_end)) continue;
    touching->push_back(s.index);
    if (first == nullptr) first = &s;
    mixed_flags |= s.flags != first->flags;
    file_bytes |= Overlaps(s.start, s.zero_from, page, page_end);
  }
  if (first == nullptr) return kCellHole;
  if (mixed_flags) return kCellConflict;
  if (first->flags.find('W') != std::string::npos) {
    return file_bytes ? kCellWrite : kCellZero;
  }
  if (first->flags.find('X') != std::string::npos) return kCellExecute;
  return kCellRead;
}

PageBand Band(const ImageMap& map, const PageSizeChoice& page_size,
              const LoadVerdict& verdict) {
  PageBand band{page_size, verdict, map.start, "", {}};
  const uint64_t page_bytes = band.page_bytes();
  const uint64_t pages = (map.end - map.start + page_bytes - 1) / page_bytes;
  std::vector<int> touching;
  for (uint64_t i = 0; i < pages; ++i) {
    const uint64_t page = band.first_page + i * page_bytes;
    const PageCell cell =
        Cell(map.segments, page, page + page_bytes, &touching);
    band.cells.push_back(cell);
    if (cell == kCellConflict) {
      band.conflicts.push_back({page, page + page_bytes, touching});
    }
  }
  return band;
}

}  // namespace

const DrawnSegment* ImageMap::Find(int index) const {
  for (const DrawnSegment& s : segments) {
    if (s.index == index) return &s;
  }
  return nullptr;
}

ImageMap BuildImageMap(const ElfImage& elf,
                       absl::Span<const PageSizeChoice> page_sizes,
                       absl::Span<const LoadVerdict> verdicts) {
  ImageMap map;
  map.path = elf.path;
  map.summary = absl::StrFormat(
      "%s, machine %s, layout %s, 64 KiB alignment contract %s",
      elf.variant.ToString(), MachineName(elf.machine), LayoutName(elf.layout),
      elf.MeetsAlignmentContract() ? "met" : "not met");
  map.segments = DrawnSegments(elf);
  map.holes = Holes(map.segments);
  map.start = elf.load_start();
  map.end = elf.load_end();
  for (size_t i = 0; i < page_sizes.size(); ++i) {
    map.bands.push_back(Band(map, page_sizes[i], verdicts[i]));
  }
  return map;
}

}  // namespace granule::cli
