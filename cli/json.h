// SPDX-License-Identifier: Apache-2.0
// Just enough JSON for the command's reports.
#ifndef GRANULE_CLI_JSON_H_
#define GRANULE_CLI_JSON_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace granule::cli {

// `text` as a quoted JSON string, with quotes, backslashes and control
// characters escaped. A byte that is not part of well-formed UTF-8 (JSON
// text must be UTF-8) becomes the four characters \xHH, as in VisibleText.
std::string JsonString(absl::string_view text);

// One JSON object, built field by field in the order fields are added. Keys
// are the caller's identifiers; values are escaped here.
class JsonObject {
 public:
  JsonObject& String(absl::string_view key, absl::string_view value);
  JsonObject& Number(absl::string_view key, uint64_t value);
  JsonObject& Signed(absl::string_view key, int64_t value);
  JsonObject& Double(absl::string_view key, double value);
  JsonObject& Bool(absl::string_view key, bool value);
  JsonObject& Null(absl::string_view key);
  // An address or file offset, as a string "0x1f000": JSON numbers are
  // doubles to most readers (jq, JavaScript), exact only below 2^53.
  JsonObject& Hex(absl::string_view key, uint64_t value);
  // A file name: `key` as JsonString gives it, and when the name is not
  // UTF-8, "<key>_hex" with its exact bytes in hexadecimal.
  JsonObject& FileName(absl::string_view key, absl::string_view name);
  // `json` must already be a JSON value (an object, an array, ...).
  JsonObject& Raw(absl::string_view key, absl::string_view json);

  std::string Build() const { return "{" + body_ + "}"; }

 private:
  void Key(absl::string_view key);
  std::string body_;
};

// A JSON array of values that are already JSON.
std::string JsonArray(const std::vector<std::string>& elements);

}  // namespace granule::cli

#endif  // GRANULE_CLI_JSON_H_
