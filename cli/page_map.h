// SPDX-License-Identifier: Apache-2.0
// What `granule map` draws, computed without drawing: an image's program
// headers and the holes between them, and for each page size, which pages
// each PT_LOAD segment touches and which pages two segments with different
// protections would have to share. That sharing is what granule's 64 KiB
// alignment prevents: one page has one protection, so the loader cannot map
// such an image page by page and copies it to the heap instead.
#ifndef GRANULE_CLI_PAGE_MAP_H_
#define GRANULE_CLI_PAGE_MAP_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "cli/page_sizes.h"
#include "loader/elf/elf_image.h"
#include "loader/load_verdict.h"

namespace granule::cli {

// One program header drawn: every PT_LOAD, and the PT_DYNAMIC and
// PT_GNU_RELRO that lie inside them.
struct DrawnSegment {
  int index;             // In the program header table.
  std::string type;      // "LOAD", "DYNAMIC", "GNU_RELRO".
  std::string flags;     // "R", "RX", "RW".
  uint64_t start, end;   // Addresses [p_vaddr, p_vaddr + p_memsz).
  uint64_t zero_from;    // p_vaddr + p_filesz: zero-filled from here to end.
  uint64_t file_offset;  // [p_offset, p_offset + p_filesz) in the file.
  uint64_t file_end;
  Segment header;  // As read, for the JSON report.
  bool is_load() const { return type == "LOAD"; }
};

// Addresses between two PT_LOAD segments that no segment covers: alignment
// padding, mapped (1:1 layout) or reserved (compact) but never used.
struct AddressHole {
  uint64_t start, end;
  int after_index, before_index;  // The segments on either side.
};

// One character per page of the image's span, in address order.
enum PageCell : char {
  kCellHole = '.',      // No segment touches the page.
  kCellRead = 'R',      // Read-only segments only.
  kCellExecute = 'X',   // An executable segment (and no other flags).
  kCellWrite = 'W',     // A writable segment's file bytes.
  kCellZero = 'z',      // Only a writable segment's zero-filled tail.
  kCellConflict = '!',  // Segments with different flags share the page.
};

// A page that segments with different flags share.
struct ConflictPage {
  uint64_t start, end;
  std::vector<int> segment_indexes;  // PT_LOAD program headers, in order.
};

struct PageBand {
  PageSizeChoice page_size;
  LoadVerdict verdict;
  uint64_t first_page;   // Address of the first page: the image's start.
  std::string cells;     // PageCell values, one per page.
  std::vector<ConflictPage> conflicts;

  uint64_t page_bytes() const { return page_size.geometry.page_size(); }
  uint64_t end() const { return first_page + cells.size() * page_bytes(); }
};

struct ImageMap {
  std::string path;
  std::string summary;  // "elf64-little, machine none, layout 1:1, ...".
  std::vector<DrawnSegment> segments;  // By address; inner ones after LOAD.
  std::vector<AddressHole> holes;
  std::vector<PageBand> bands;  // One per page size, in the order given.
  // The image's span: load_start (rounded down to the largest p_align, where
  // the loader's region starts) to the end of the last PT_LOAD.
  uint64_t start = 0, end = 0;

  const DrawnSegment* Find(int index) const;
};

// Pages are counted from the image's load_start, which the loader places on
// an allocation-granularity boundary, so they are the pages a load sees.
// `verdicts` are CheckLoad's, one per page size.
ImageMap BuildImageMap(const ElfImage& elf,
                       absl::Span<const PageSizeChoice> page_sizes,
                       absl::Span<const LoadVerdict> verdicts);

}  // namespace granule::cli

#endif  // GRANULE_CLI_PAGE_MAP_H_
