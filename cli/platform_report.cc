// SPDX-License-Identifier: Apache-2.0
#include "cli/platform_report.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/json.h"

namespace granule::cli {
namespace {

using elf::kImageAlignment;

const char* YesNo(bool value) { return value ? "yes" : "no"; }
const char* JsonBool(bool value) { return value ? "true" : "false"; }

std::string SharedPathVerdict(const PageGeometry& geometry) {
  if (geometry.Divides(kImageAlignment)) {
    return absl::StrFormat(
        "shared path: page size and allocation granularity divide %s",
        FormatBytes(kImageAlignment));
  }
  return absl::StrFormat(
      "malloc path: %s does not divide into this machine's units (%s)",
      FormatBytes(kImageAlignment), geometry.ToString());
}

}  // namespace

std::string PlatformReport(const PageGeometry& geometry,
                           const BackendTraits& traits, bool json) {
  const bool shared = geometry.Divides(kImageAlignment);
  if (json) {
    return absl::StrFormat(
        "{\"page_size\":%u,\"allocation_granularity\":%u,"
        "\"backend\":{\"name\":%s,\"can_release_partially\":%s,"
        "\"enforces_protection\":%s,"
        "\"shares_file_pages\":%s},"
        "\"image_alignment\":%u,\"shared_path\":%s}\n",
        geometry.page_size(), geometry.allocation_granularity(),
        JsonString(traits.name), JsonBool(traits.can_release_partially),
        JsonBool(traits.enforces_protection),
        JsonBool(traits.shares_file_pages), kImageAlignment, JsonBool(shared));
  }
  auto line = [](absl::string_view label, absl::string_view value) {
    return absl::StrFormat("%-25s%s\n", label, value);
  };
  auto trait = [](absl::string_view label, bool value) {
    return absl::StrFormat("  %-35s%s\n", label, YesNo(value));
  };
  return absl::StrCat(
      line("page size", FormatBytes(geometry.page_size())),
      line("allocation granularity",
           FormatBytes(geometry.allocation_granularity())),
      line("memory backend", traits.name),
      trait("can release part of a reservation", traits.can_release_partially),
      trait("enforces protection", traits.enforces_protection),
      trait("shares file pages", traits.shares_file_pages),
      line(FormatBytes(kImageAlignment) + "-aligned images",
           SharedPathVerdict(geometry)));
}

}  // namespace granule::cli
