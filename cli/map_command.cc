#include "cli/map_command.h"

#include "absl/strings/str_cat.h"
#include "cli/check_command.h"
#include "cli/map_drawing.h"
#include "cli/page_map.h"

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
  result.report =
      Draw(BuildImageMap(*check.elf, *page_sizes, check.verdicts), format);
  return result;
}

}  // namespace granule::cli
