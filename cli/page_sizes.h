// SPDX-License-Identifier: Apache-2.0
// The --page-size list of `granule check`: which machines to judge an image
// for, as tokens such as "4k", "64k" or "4k/64k" (page size / allocation
// granularity, Windows' shape).
#ifndef GRANULE_CLI_PAGE_SIZES_H_
#define GRANULE_CLI_PAGE_SIZES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "platform/page_geometry.h"

namespace granule::cli {

// 4 KiB (x86-64), 16 KiB (Apple arm64), 64 KiB (ppc64, arm64) pages, and
// Windows' 4 KiB pages with a 64 KiB allocation granularity.
inline constexpr char kDefaultPageSizes[] = "4k,16k,64k,4k/64k";

// No machine has pages outside these bounds; a value outside is a typo
// ("--page-size=1" for 1 KiB).
inline constexpr uint64_t kMinPageSize = 1024;
inline constexpr uint64_t kMaxPageSize = uint64_t{1} << 30;

struct PageSizeChoice {
  std::string token;  // As written: "4k/64k".
  PageGeometry geometry;
};

// "4096", "4k", "1m", "1g" (k, m and g in either case, powers of 1024) as
// bytes.
absl::StatusOr<uint64_t> ParseByteCount(absl::string_view text);

// "SIZE" (page and granularity both SIZE) or "PAGE/GRANULARITY", each a power
// of two from kMinPageSize to kMaxPageSize, the granularity at least the
// page. Errors are InvalidArgument naming the token and what is wrong.
absl::StatusOr<PageSizeChoice> ParsePageSizeToken(absl::string_view token);

// A comma-separated list of tokens; at least one.
absl::StatusOr<std::vector<PageSizeChoice>> ParsePageSizeList(
    absl::string_view list);

}  // namespace granule::cli

#endif  // GRANULE_CLI_PAGE_SIZES_H_
