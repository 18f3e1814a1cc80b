// SPDX-License-Identifier: Apache-2.0
// `granule map`'s drawings of an ImageMap: text for a terminal (lines under
// 100 columns), SVG, and JSON. Pure functions of the map, so tests check the
// drawing without files.
#ifndef GRANULE_CLI_MAP_DRAWING_H_
#define GRANULE_CLI_MAP_DRAWING_H_

#include <string>

#include "cli/page_map.h"

namespace granule::cli {

// Rows of page cells (see PageCell) longer than this many rows are elided.
inline constexpr int kMaxCellRows = 16;

// The segment table, then one band per page size: the pages as characters,
// '|' on 64 KiB boundaries, the conflicting pages listed and the verdict.
std::string DrawMapText(const ImageMap& map);

// The same as a standalone SVG document.
std::string DrawMapSvg(const ImageMap& map);

// One JSON object: segments, holes, and per page size the cells (as one
// string), conflicting pages and the verdict.
std::string MapJson(const ImageMap& map);

// "16k: page 16 KiB, allocation granularity 16 KiB; 2 pages, 1 shared by two
// protections".
std::string BandHeadline(const PageBand& band);

// The verdict in words: "shared path" or "malloc path: <reason>".
std::string VerdictWords(const LoadVerdict& verdict);

}  // namespace granule::cli

#endif  // GRANULE_CLI_MAP_DRAWING_H_
