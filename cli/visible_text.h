// SPDX-License-Identifier: Apache-2.0
// File names are bytes: on Linux any byte but '/' and NUL may be in one, so a
// name need not be UTF-8 and may hold a newline. Reports are UTF-8 text (JSON
// and XML require it) with one line per item, so such bytes are shown, not
// copied: as \xHH, the way C and Python spell a byte.
#ifndef GRANULE_CLI_VISIBLE_TEXT_H_
#define GRANULE_CLI_VISIBLE_TEXT_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace granule::cli {

// The length of the well-formed UTF-8 sequence at the start of `text`
// (RFC 3629: no overlong forms, no surrogates, at most U+10FFFF), or 0.
size_t Utf8SequenceLength(absl::string_view text);

bool IsUtf8(absl::string_view text);

// `text` with each byte that is not part of well-formed UTF-8, and each
// control character (C0 and DEL), written as \xHH: one printable line.
std::string VisibleText(absl::string_view text);

// Lower-case hexadecimal of every byte: "626164ff".
std::string HexBytes(absl::string_view text);

}  // namespace granule::cli

#endif  // GRANULE_CLI_VISIBLE_TEXT_H_
