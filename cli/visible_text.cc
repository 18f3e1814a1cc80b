// SPDX-License-Identifier: Apache-2.0
#include "cli/visible_text.h"

#include "absl/strings/str_format.h"

namespace granule::cli {
namespace {

bool IsContinuation(unsigned char c) { return (c & 0xc0) == 0x80; }

}  // namespace

size_t Utf8SequenceLength(absl::string_view text) {
  if (text.empty()) return 0;
  const auto* b = reinterpret_cast<const unsigned char*>(text.data());
  if (b[0] < 0x80) return 1;
  size_t length;
  unsigned char low = 0x80, high = 0xbf;  // Bounds of the second byte.
  if (b[0] >= 0xc2 && b[0] <= 0xdf) {
    length = 2;
  } else if (b[0] >= 0xe0 && b[0] <= 0xef) {
    length = 3;
    if (b[0] == 0xe0) low = 0xa0;   // Overlong below U+0800.
    if (b[0] == 0xed) high = 0x9f;  // Surrogates U+D800..U+DFFF.
  } else if (b[0] >= 0xf0 && b[0] <= 0xf4) {
    length = 4;
    if (b[0] == 0xf0) low = 0x90;   // Overlong below U+10000.
    if (b[0] == 0xf4) high = 0x8f;  // Above U+10FFFF.
  } else {
    return 0;
  }
  if (text.size() < length || b[1] < low || b[1] > high) return 0;
  for (size_t i = 2; i < length; ++i) {
    if (!IsContinuation(b[i])) return 0;
  }
  return length;
}

bool IsUtf8(absl::string_view text) {
  while (!text.empty()) {
    const size_t length = Utf8SequenceLength(text);
    if (length == 0) return false;
    text.remove_prefix(length);
  }
  return true;
}

std::string VisibleText(absl::string_view text) {
  std::string out;
  while (!text.empty()) {
    const auto c = static_cast<unsigned char>(text[0]);
    const size_t length = Utf8SequenceLength(text);
    if (length == 0 || c < 0x20 || c == 0x7f) {
      absl::StrAppendFormat(&out, "\\x%02x", c);
      text.remove_prefix(1);
      continue;
    }
    out.append(text.data(), length);
    text.remove_prefix(length);
  }
  return out;
}

std::string HexBytes(absl::string_view text) {
  std::string out;
  for (char c : text) {
    absl::StrAppendFormat(&out, "%02x", static_cast<unsigned char>(c));
  }
  return out;
}

}  // namespace granule::cli
