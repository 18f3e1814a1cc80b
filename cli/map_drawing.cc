// SPDX-License-Identifier: Apache-2.0
#include "cli/map_drawing.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "cli/json.h"
#include "cli/report_json.h"
#include "cli/visible_text.h"
#include "loader/elf/elf_format.h"
#include "platform/page_geometry.h"

namespace granule::cli {
namespace {

constexpr uint64_t kGranule = elf::kImageAlignment;  // 64 KiB.
constexpr size_t kMaxConflictLines = 8;

// Hex addresses padded to one width per map, so the columns line up.
class AddressFormat {
 public:
  explicit AddressFormat(const ImageMap& map) {
    uint64_t largest = map.end;
    for (const DrawnSegment& s : map.segments) {
      largest = std::max({largest, s.end, s.file_end});
    }
    for (uint64_t rest = largest >> 20; rest != 0; rest >>= 4) ++digits_;
  }
  std::string operator()(uint64_t address) const {
    return absl::StrFormat("0x%0*x", digits_, address);
  }
  std::string Range(uint64_t start, uint64_t end) const {
    return absl::StrCat((*this)(start), "..", (*this)(end));
  }

 private:
  int digits_ = 5;
};

// "4 KiB", "65080 bytes", "540.5 KiB": exact when whole or small.
std::string Size(uint64_t bytes) {
  if (bytes < 100 * 1024 || bytes % 1024 == 0) return FormatBytes(bytes);
  if (bytes < 10 * 1024 * 1024)
    return absl::StrFormat("%.1f KiB", bytes / 1024.0);
  return absl::StrFormat("%.1f MiB", bytes / (1024.0 * 1024.0));
}

std::string SizeWords(const DrawnSegment& s) {
  const uint64_t zeros = s.end - s.zero_from;
  std::string words = Size(s.zero_from - s.start);
  if (zeros != 0) absl::StrAppend(&words, " + ", Size(zeros), " zero");
  return words;
}

std::string SegmentRow(const DrawnSegment& s, const AddressFormat& hex) {
  const std::string type = s.is_load() ? s.type : "  " + s.type;
  return absl::StrFormat("  %-5d %-11s %-6s %-22s %-22s %s\n", s.index, type,
                         s.flags, hex.Range(s.start, s.end),
                         hex.Range(s.file_offset, s.file_end), SizeWords(s));
}

std::string HoleRow(const AddressHole& hole, const AddressFormat& hex) {
  return absl::StrFormat("  %-5s %-11s %-6s %-22s %-22s %s unused\n", "",
                         "(hole)", "", hex.Range(hole.start, hole.end), "",
                         Size(hole.end - hole.start));
}

std::string SegmentTable(const ImageMap& map, const AddressFormat& hex) {
  std::string out =
      absl::StrFormat("  %-5s %-11s %-6s %-22s %-22s %s\n", "phdr", "type",
                      "flags", "addresses", "file bytes", "size");
  for (const DrawnSegment& s : map.segments) {
    for (const AddressHole& hole : map.holes) {
      if (s.is_load() && hole.before_index == s.index) {
        absl::StrAppend(&out, HoleRow(hole, hex));
      }
    }
    absl::StrAppend(&out, SegmentRow(s, hex));
  }
  return out;
}

constexpr char kLegend[] =
    "pages: R read-only  X executable  W writable  z zero-filled only  "
    ". no segment\n"
    "       ! segments with different protections share the page  "
    "| 64 KiB boundary\n";

// Short rows for large pages with frequent '|', so every row stays narrow.
size_t CellsPerRow(uint64_t page_bytes) {
  if (page_bytes >= kGranule) return 64;
  return kGranule / page_bytes >= 8 ? 64 : 32;
}

// One row of cells from `first` (a cell index), with '|' before each cell
// that starts on a 64 KiB boundary and after the last if the next does.
std::string CellRow(const PageBand& band, size_t first, size_t count,
                    const AddressFormat& hex) {
  const uint64_t page = band.page_bytes();
  const bool bars = page < kGranule;
  std::string row =
      absl::StrCat("  ", hex(band.first_page + first * page), " ");
  for (size_t i = first; i < first + count; ++i) {
    if (bars && (band.first_page + i * page) % kGranule == 0) row += '|';
    row += band.cells[i];
  }
  if (bars && (band.first_page + (first + count) * page) % kGranule == 0) {
    row += '|';
  }
  return row + "\n";
}

bool Uniform(absl::string_view cells) {
  return cells.find_first_not_of(cells.front()) == absl::string_view::npos;
}

// The rows, a run of identical uniform rows drawn once, at most
// kMaxCellRows lines.
std::string CellRows(const PageBand& band, const AddressFormat& hex) {
  const size_t per_row = CellsPerRow(band.page_bytes());
  const absl::string_view cells = band.cells;
  std::string out;
  int lines = 0;
  for (size_t first = 0; first < cells.size();) {
    if (lines == kMaxCellRows) {
      return absl::StrCat(
          out, absl::StrFormat("  ... %d more pages, to %s\n",
                               cells.size() - first, hex(band.end())));
    }
    const size_t count = std::min(per_row, cells.size() - first);
    absl::string_view row = cells.substr(first, count);
    absl::StrAppend(&out, CellRow(band, first, count, hex));
    ++lines;
    size_t repeats = 0;
    while (Uniform(row) &&
           first + (repeats + 1) * per_row + per_row <= cells.size() &&
           cells.substr(first + (repeats + 1) * per_row, per_row) == row) {
      ++repeats;
    }
    if (repeats > 0) {
      absl::StrAppendFormat(&out, "  %*s (%d more row%s the same)\n",
                            static_cast<int>(hex(0).size()), "", repeats,
                            repeats == 1 ? "" : "s");
      ++lines;
    }
    first += count + repeats * per_row;
  }
  return out;
}

std::string SegmentList(const ImageMap& map, const std::vector<int>& indexes) {
  std::vector<std::string> names;
  for (int index : indexes) {
    const DrawnSegment* s = map.Find(index);
    names.push_back(absl::StrFormat("phdr %d %s", index, s ? s->flags : "?"));
  }
  return absl::StrJoin(names, ", ");
}

std::string ConflictLines(const ImageMap& map, const PageBand& band,
                          const AddressFormat& hex) {
  std::string out;
  for (size_t i = 0; i < band.conflicts.size(); ++i) {
    if (i == kMaxConflictLines) {
      return absl::StrCat(out, absl::StrFormat("  ! ... and %d more\n",
                                               band.conflicts.size() - i));
    }
    const ConflictPage& page = band.conflicts[i];
    absl::StrAppendFormat(&out, "  ! page %s shared by %s\n",
                          hex.Range(page.start, page.end),
                          SegmentList(map, page.segment_indexes));
  }
  return out;
}

std::string BandText(const ImageMap& map, const PageBand& band,
                     const AddressFormat& hex) {
  std::string out = absl::StrCat("\n", BandHeadline(band), "\n");
  absl::StrAppend(&out, CellRows(band, hex), ConflictLines(map, band, hex));
  absl::StrAppend(&out, "  verdict: ", VerdictWords(band.verdict), "\n");
  return out;
}

std::string BandJson(const PageBand& band) {
  std::vector<std::string> conflicts;
  for (const ConflictPage& page : band.conflicts) {
    std::vector<std::string> indexes;
    for (int index : page.segment_indexes)
      indexes.push_back(absl::StrCat(index));
    conflicts.push_back(JsonObject()
                            .Hex("start", page.start)
                            .Hex("end", page.end)
                            .Raw("segments", JsonArray(indexes))
                            .Build());
  }
  return VerdictJson(band.page_size, band.verdict)
      .Hex("first_page", band.first_page)
      .String("cells", band.cells)
      .Raw("conflicts", JsonArray(conflicts))
      .Build();
}

}  // namespace

std::string VerdictWords(const LoadVerdict& verdict) {
  if (verdict.shared_whole()) {
    return "shared path (the file mapped, page by page)";
  }
  if (verdict.route == LoadRoute::kPerSegment) {
    return absl::StrCat("per segment (not whole: ", verdict.refusal->Message(),
                        "): ", FormatBytes(verdict.bytes_mapped),
                        " mapped, ", FormatBytes(verdict.bytes_copied),
                        " copied");
  }
  return absl::StrCat("malloc path: ", verdict.refusal->Message());
}

std::string BandHeadline(const PageBand& band) {
  return absl::StrFormat(
      "%s: %s; %d page%s, %s shared by two protections", band.page_size.token,
      band.page_size.geometry.ToString(), band.cells.size(),
      band.cells.size() == 1 ? "" : "s",
      band.conflicts.empty() ? "none" : absl::StrCat(band.conflicts.size()));
}

std::string DrawMapText(const ImageMap& map) {
  const AddressFormat hex(map);
  // The path alone on the first line: the only line that may be wide.
  std::string out =
      absl::StrCat(VisibleText(map.path), ":\n  ", map.summary, "\n");
  absl::StrAppend(&out, SegmentTable(map, hex), kLegend);
  for (const PageBand& band : map.bands) {
    absl::StrAppend(&out, BandText(map, band, hex));
  }
  return out;
}

std::string MapJson(const ImageMap& map) {
  std::vector<std::string> segments, holes, bands;
  for (const DrawnSegment& s : map.segments) {
    segments.push_back(SegmentJson(s.header).Build());
  }
  for (const AddressHole& hole : map.holes) {
    holes.push_back(JsonObject()
                        .Hex("start", hole.start)
                        .Hex("end", hole.end)
                        .Number("after", hole.after_index)
                        .Number("before", hole.before_index)
                        .Build());
  }
  for (const PageBand& band : map.bands) bands.push_back(BandJson(band));
  return JsonObject()
      .FileName("file", map.path)
      .String("overview", map.summary)
      .Hex("start", map.start)
      .Hex("end", map.end)
      .Raw("segments", JsonArray(segments))
      .Raw("holes", JsonArray(holes))
      .Raw("page_sizes", JsonArray(bands))
      .Build();
}

}  // namespace granule::cli
