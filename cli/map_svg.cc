// SPDX-License-Identifier: Apache-2.0
// DrawMapSvg: one horizontal band per page size over a common address scale,
// segments colored by protection, page boundary ticks, conflicting pages in
// red.
#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/map_drawing.h"
#include "cli/visible_text.h"

namespace granule::cli {
namespace {

constexpr double kWidth = 960, kLeft = 12, kTrackWidth = kWidth - 2 * kLeft;
constexpr double kTitleHeight = 56, kBandHeight = 104, kTrackHeight = 36;
constexpr double kLabelCharWidth = 6.2;  // 10px monospace, a little spare.
constexpr uint64_t kMaxTicks = 512;      // Beyond this, every n-th boundary.

// XML 1.0 allows no control characters, even escaped, and SVG text is
// UTF-8: VisibleText shows such bytes as \xHH first.
std::string Escaped(absl::string_view text) {
  std::string out;
  for (char c : VisibleText(text)) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

const char* FillFor(const std::string& flags) {
  if (flags.find('W') != std::string::npos) return "#74c476";
  if (flags.find('X') != std::string::npos) return "#fd8d3c";
  return "#6baed6";
}

// Maps image addresses to x coordinates; all bands share it.
class Scale {
 public:
  explicit Scale(const ImageMap& map) : start_(map.start), end_(map.end) {
    for (const PageBand& band : map.bands) end_ = std::max(end_, band.end());
    if (end_ == start_) end_ = start_ + 1;
  }
  double X(uint64_t address) const {
    return kLeft + kTrackWidth * static_cast<double>(address - start_) /
                       static_cast<double>(end_ - start_);
  }
  // At least a pixel wide, so a 3-byte segment is still seen.
  double Width(uint64_t start, uint64_t end) const {
    return std::max(1.0, X(end) - X(start));
  }

 private:
  uint64_t start_, end_;
};

std::string Rect(double x, double y, double width, double height,
                 absl::string_view style) {
  return absl::StrFormat(
      "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" %s/>\n", x, y,
      width, height, style);
}

std::string Text(double x, double y, absl::string_view text,
                 absl::string_view style = "") {
  return absl::StrFormat("<text x=\"%.1f\" y=\"%.1f\" %s>%s</text>\n", x, y,
                         style, Escaped(text));
}

// Labels under the track, moved to a second row where they would overlap.
class LabelRows {
 public:
  double Place(double x, size_t chars) {
    const int row = x < row_end_[0] ? 1 : 0;
    row_end_[row] = x + kLabelCharWidth * chars;
    return row * 11.0;
  }

 private:
  double row_end_[2] = {0, 0};
};

std::string Segments(const ImageMap& map, const Scale& scale, double top) {
  std::string out;
  LabelRows labels;
  for (const DrawnSegment& s : map.segments) {
    const double x = scale.X(s.start);
    if (!s.is_load()) {  // An outline along the bottom of its segment.
      absl::StrAppend(
          &out, Rect(x, top + kTrackHeight - 8, scale.Width(s.start, s.end), 8,
                     "fill=\"none\" stroke=\"#333\" "
                     "stroke-dasharray=\"2,1\""));
      continue;
    }
    const std::string fill = absl::StrFormat("fill=\"%s\"", FillFor(s.flags));
    absl::StrAppend(&out, Rect(x, top, scale.Width(s.start, s.zero_from),
                               kTrackHeight, fill));
    if (s.end > s.zero_from) {  // Zero-filled memory, paler.
      absl::StrAppend(
          &out, Rect(scale.X(s.zero_from), top, scale.Width(s.zero_from, s.end),
                     kTrackHeight, fill + " fill-opacity=\"0.45\""));
    }
    const std::string label = absl::StrFormat("phdr %d %s", s.index, s.flags);
    const double row = labels.Place(x + 2, label.size());
    absl::StrAppend(&out, Text(x + 2, top + kTrackHeight + 12 + row, label,
                               "font-size=\"10\""));
  }
  return out;
}

std::string Ticks(const PageBand& band, const Scale& scale, double top) {
  const uint64_t pages = band.cells.size();
  const uint64_t step = (pages + kMaxTicks - 1) / kMaxTicks;
  std::string out = "<g stroke=\"#222\" stroke-width=\"0.6\">\n";
  for (uint64_t i = 0; i <= pages; i += step) {
    const double x = scale.X(band.first_page + i * band.page_bytes());
    absl::StrAppendFormat(&out,
                          "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
                          "y2=\"%.1f\"/>\n",
                          x, top - 4, x, top + kTrackHeight);
  }
  return out + "</g>\n";
}

std::string Conflicts(const PageBand& band, const Scale& scale, double top) {
  std::string out;
  for (const ConflictPage& page : band.conflicts) {
    absl::StrAppend(&out,
                    Rect(scale.X(page.start), top - 4,
                         scale.Width(page.start, page.end), kTrackHeight + 8,
                         "fill=\"#e31a1c\" fill-opacity=\"0.3\" "
                         "stroke=\"#e31a1c\" stroke-width=\"2\""));
  }
  return out;
}

std::string Band(const ImageMap& map, const PageBand& band, const Scale& scale,
                 double top) {
  const std::string title = BandHeadline(band);
  const double track_top = top + 22;
  return absl::StrCat(
      "<g class=\"band\">\n", Text(kLeft, top + 14, title, "font-size=\"12\""),
      Rect(kLeft, track_top, kTrackWidth, kTrackHeight, "fill=\"#eeeeee\""),
      Segments(map, scale, track_top), Ticks(band, scale, track_top),
      Conflicts(band, scale, track_top),
      Text(kLeft, track_top + kTrackHeight + 36, VerdictWords(band.verdict),
           band.verdict.shared_whole() ? "font-size=\"11\""
                             : "font-size=\"11\" fill=\"#b00000\""),
      "</g>\n");
}

}  // namespace

std::string DrawMapSvg(const ImageMap& map) {
  const Scale scale(map);
  const double height = kTitleHeight + kBandHeight * map.bands.size() + 8;
  std::string out = absl::StrFormat(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" "
      "height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" font-family=\"monospace\">\n",
      kWidth, height, kWidth, height);
  absl::StrAppend(&out, Text(kLeft, 16, map.path, "font-size=\"13\""),
                  Text(kLeft, 30,
                       absl::StrFormat("%s; addresses 0x%x..0x%x", map.summary,
                                       map.start, map.end),
                       "font-size=\"10\""),
                  Text(kLeft, 44,
                       "blue R, orange RX, green RW (pale: zero-filled), red "
                       "outline: a page two protections share; ticks: page "
                       "boundaries",
                       "font-size=\"10\""));
  for (size_t i = 0; i < map.bands.size(); ++i) {
    absl::StrAppend(
        &out, Band(map, map.bands[i], scale, kTitleHeight + kBandHeight * i));
  }
  return out + "</svg>\n";
}

}  // namespace granule::cli
