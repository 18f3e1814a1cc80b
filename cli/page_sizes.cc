// SPDX-License-Identifier: Apache-2.0
#include "cli/page_sizes.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "platform/status_macros.h"

namespace granule::cli {
namespace {

absl::Status BadToken(absl::string_view token, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrFormat("page size '%s': %s", token, why));
}

}  // namespace

absl::StatusOr<uint64_t> ParseByteCount(absl::string_view text) {
  uint64_t multiplier = 1;
  absl::string_view digits = text;
  if (!digits.empty()) {
    const char suffix = absl::ascii_tolower(digits.back());
    const uint64_t multipliers[] = {1024, 1024 * 1024, 1024 * 1024 * 1024};
    const size_t which = std::string("kmg").find(suffix);
    if (which != std::string::npos) {
      multiplier = multipliers[which];
      digits.remove_suffix(1);
    }
  }
  uint64_t count = 0;
  const bool all_digits =
      !digits.empty() &&
      digits.find_first_not_of("0123456789") == absl::string_view::npos;
  if (!all_digits || !absl::SimpleAtoi(digits, &count) ||
      count > UINT64_MAX / multiplier) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "'%s' is not a byte count (expected digits with an optional k, m or "
        "g suffix, such as 4096, 4k or 1m)",
        text));
  }
  return count * multiplier;
}

absl::StatusOr<PageSizeChoice> ParsePageSizeToken(absl::string_view token) {
  std::vector<absl::string_view> parts = absl::StrSplit(token, '/');
  if (parts.size() > 2) {
    return BadToken(token,
                    "expected SIZE or PAGE/GRANULARITY, such as 64k or "
                    "4k/64k");
  }
  uint64_t units[2] = {0, 0};  // A split gives one or two parts.
  for (size_t i = 0; i < parts.size(); ++i) {
    absl::StatusOr<uint64_t> bytes = ParseByteCount(parts[i]);
    if (!bytes.ok()) return BadToken(token, bytes.status().message());
    units[i] = *bytes;
  }
  const uint64_t page = units[0];
  const uint64_t granularity = parts.size() == 2 ? units[1] : page;
  absl::StatusOr<PageGeometry> geometry =
      PageGeometry::Create(page, granularity);
  if (!geometry.ok()) return BadToken(token, geometry.status().message());
  for (const uint64_t unit : {page, granularity}) {
    if (unit < kMinPageSize || unit > kMaxPageSize) {
      return BadToken(token, absl::StrFormat(
                                 "%u bytes is outside 1 KiB to 1 GiB, the "
                                 "page sizes and granularities judged",
                                 unit));
    }
  }
  return PageSizeChoice{std::string(token), *geometry};
}

absl::StatusOr<std::vector<PageSizeChoice>> ParsePageSizeList(
    absl::string_view list) {
  std::vector<PageSizeChoice> choices;
  for (absl::string_view token : absl::StrSplit(list, ',')) {
    token = absl::StripAsciiWhitespace(token);
    if (token.empty()) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "page sizes '%s': empty entry (expected a comma-separated list such "
          "as %s)",
          list, kDefaultPageSizes));
    }
    GRANULE_ASSIGN_OR_RETURN(PageSizeChoice choice, ParsePageSizeToken(token));
    choices.push_back(std::move(choice));
  }
  return choices;
}

}  // namespace granule::cli
