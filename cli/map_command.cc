// SPDX-License-Identifier: Apache-2.0
#include "cli/map_command.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/check_command.h"
#include "cli/map_drawing.h"
#include "cli/page_map.h"
#include "platform/page_geometry.h"

namespace granule::cli {
namespace {

CommandResult UsageError(std::string message) {
  CommandResult result;
  result.exit_code = kExitUsage;
  result.errors.push_back(std::move(message));
  return result;
}

std::string Draw(const ImageMap& map, MapFormat format) {
  switch (format) {
    case MapFormat::kSvg:
      return DrawMapSvg(map);
    case MapFormat::kJson:
      return MapJson(map) + "\n";
    case MapFormat::kText:
      break;
  }
  return DrawMapText(map);
}

absl::Status CheckPageCounts(const ElfImage& elf,
                             absl::Span<const PageSizeChoice> page_sizes) {
  const uint64_t span = elf.load_end() - elf.load_start();
  for (const PageSizeChoice& choice : page_sizes) {
    const uint64_t page = choice.geometry.page_size();
    const uint64_t pages = span / page + (span % page != 0);
    if (pages > kMaxPagesPerBand) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "page size '%s' cuts %s (%s) into %u pages; map draws at most %u: "
          "choose a larger page size",
          choice.token, elf.path, FormatBytes(span), pages, kMaxPagesPerBand));
    }
  }
  return absl::OkStatus();
}

}  // namespace

CommandResult RunMap(const std::vector<std::string>& files,
                     const std::string& page_size_list, MapFormat format) {
  if (files.size() != 1) {
    return UsageError(absl::StrCat("expected one FILE, got ", files.size()));
  }
  absl::StatusOr<std::vector<PageSizeChoice>> page_sizes =
      ParsePageSizeList(page_size_list);
  if (!page_sizes.ok()) {
    return UsageError(std::string(page_sizes.status().message()));
  }
  // The same reading and verdicts as `granule check`, so the two agree.
  FileCheck check = CheckFile(files[0], *page_sizes);
  CommandResult result;
  if (!check.error.ok()) {
    result.exit_code = kExitFailed;
    result.errors.push_back(std::string(check.error.message()));
    return result;
  }
  if (absl::Status s = CheckPageCounts(*check.elf, *page_sizes); !s.ok()) {
    return UsageError(std::string(s.message()));
  }
  result.report =
      Draw(BuildImageMap(*check.elf, *page_sizes, check.verdicts), format);
  return result;
}

}  // namespace granule::cli
