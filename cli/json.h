// Just enough JSON for the command's reports.
#ifndef GRANULE_CLI_JSON_H_
#define GRANULE_CLI_JSON_H_

#include <string>

#include "absl/strings/string_view.h"

namespace granule::cli {

// `text` as a quoted JSON string, with quotes, backslashes and control
// characters escaped.
std::string JsonString(absl::string_view text);

}  // namespace granule::cli

#endif  // GRANULE_CLI_JSON_H_
