// SPDX-License-Identifier: Apache-2.0
#include "cli/json.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "cli/visible_text.h"

namespace granule::cli {

std::string JsonString(absl::string_view text) {
  std::string out = "\"";
  while (!text.empty()) {
    const char c = text[0];
    const size_t length = Utf8SequenceLength(text);
    if (length > 1) {
      out.append(text.data(), length);
      text.remove_prefix(length);
      continue;
    }
    text.remove_prefix(1);
    if (length == 0) {
      absl::StrAppendFormat(&out, "\\\\x%02x", static_cast<unsigned char>(c));
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          absl::StrAppendFormat(&out, "\\u%04x", c);
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

void JsonObject::Key(absl::string_view key) {
  if (!body_.empty()) body_ += ",";
  absl::StrAppend(&body_, JsonString(key), ":");
}

JsonObject& JsonObject::String(absl::string_view key, absl::string_view value) {
  Key(key);
  body_ += JsonString(value);
  return *this;
}

JsonObject& JsonObject::Number(absl::string_view key, uint64_t value) {
  Key(key);
  absl::StrAppend(&body_, value);
  return *this;
}

JsonObject& JsonObject::Signed(absl::string_view key, int64_t value) {
  Key(key);
  absl::StrAppend(&body_, value);
  return *this;
}

JsonObject& JsonObject::Double(absl::string_view key, double value) {
  Key(key);
  // JSON has no infinities or NaN; a rate over zero time has no value.
  if (value != value || value > 1e300 || value < -1e300) {
    body_ += "null";
  } else {
    absl::StrAppendFormat(&body_, "%.6g", value);
  }
  return *this;
}

JsonObject& JsonObject::Bool(absl::string_view key, bool value) {
  Key(key);
  body_ += value ? "true" : "false";
  return *this;
}

JsonObject& JsonObject::Null(absl::string_view key) {
  Key(key);
  body_ += "null";
  return *this;
}

JsonObject& JsonObject::Hex(absl::string_view key, uint64_t value) {
  Key(key);
  absl::StrAppendFormat(&body_, "\"0x%x\"", value);
  return *this;
}

JsonObject& JsonObject::FileName(absl::string_view key,
                                 absl::string_view name) {
  String(key, name);
  if (!IsUtf8(name)) String(absl::StrCat(key, "_hex"), HexBytes(name));
  return *this;
}

JsonObject& JsonObject::Raw(absl::string_view key, absl::string_view json) {
  Key(key);
  absl::StrAppend(&body_, json);
  return *this;
}

std::string JsonArray(const std::vector<std::string>& elements) {
  return absl::StrCat("[", absl::StrJoin(elements, ","), "]");
}

}  // namespace granule::cli
