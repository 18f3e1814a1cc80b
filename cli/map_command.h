// SPDX-License-Identifier: Apache-2.0
// `granule map FILE [--page-size=LIST] [--svg | --json]`: draws the file's
// segments against the page boundaries of each page size (4k,16k,64k by
// default), marking the pages that segments with different protections would
// share, with each page size's verdict: the picture behind `granule check`.
#ifndef GRANULE_CLI_MAP_COMMAND_H_
#define GRANULE_CLI_MAP_COMMAND_H_

#include <string>
#include <vector>

#include "cli/command.h"

namespace granule::cli {

inline constexpr char kDefaultMapPageSizes[] = "4k,16k,64k";

// More pages than this in one band (1 KiB pages over a large image) is
// refused: each page is a character. The largest image the loader takes
// (1 GiB) fits at 4 KiB pages.
inline constexpr uint64_t kMaxPagesPerBand = uint64_t{1} << 18;

enum class MapFormat { kText, kSvg, kJson };

// Exit 0 when the file was drawn (whatever its verdicts), 1 when it cannot be
// read or is invalid, 2 for a bad command line.
CommandResult RunMap(const std::vector<std::string>& files,
                     const std::string& page_size_list, MapFormat format);

}  // namespace granule::cli

#endif  // GRANULE_CLI_MAP_COMMAND_H_
