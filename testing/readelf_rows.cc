// SPDX-License-Identifier: Apache-2.0
#include "testing/readelf_rows.h"

#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace granule::testing::readelf_rows {
namespace {

// readelf's names for the program header types these tests meet.
constexpr std::pair<const char*, uint32_t> kSegmentTypes[] = {
    {"NULL", 0},
    {"LOAD", 1},
    {"DYNAMIC", 2},
    {"INTERP", 3},
    {"NOTE", 4},
    {"SHLIB", 5},
    {"PHDR", 6},
    {"TLS", 7},
    {"GNU_EH_FRAME", 0x6474e550},
    {"GNU_STACK", 0x6474e551},
    {"GNU_RELRO", 0x6474e552},
    {"GNU_PROPERTY", 0x6474e553},
};

// "0000000000020008", as readelf prints section and relocation columns.
bool ParseBareHex(absl::string_view text, uint64_t* value) {
  return !text.empty() &&
         text.find_first_not_of("0123456789abcdef") ==
             absl::string_view::npos &&
         absl::SimpleHexAtoi(text, value);
}

// The last column of a RELA row: "10000", or "- 8" after a symbol's name.
bool ParseAddend(const std::vector<absl::string_view>& words,
                 uint64_t* addend) {
  absl::string_view text = words.back();
  const bool negative = absl::ConsumePrefix(&text, "-") ||
                        (words.size() > 4 && words[words.size() - 2] == "-");
  if (!ParseBareHex(text, addend)) return false;
  if (negative) *addend = ~*addend + 1;
  return true;
}

// "R E" and the like, as PF_R | PF_X.
bool ParseSegmentFlags(absl::string_view letters, uint32_t* flags) {
  for (char c : letters) {
    if (c == 'R') {
      *flags |= 4;
    } else if (c == 'W') {
      *flags |= 2;
    } else if (c == 'E') {
      *flags |= 1;
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace

std::vector<absl::string_view> Words(absl::string_view line) {
  return absl::StrSplit(line, ' ', absl::SkipEmpty());
}

bool ParseHex(absl::string_view text, uint64_t* value) {
  return absl::ConsumePrefix(&text, "0x") && absl::SimpleHexAtoi(text, value);
}

bool ParseAnnouncedCount(absl::string_view line, size_t* count) {
  const std::vector<absl::string_view> words = Words(line);
  return words.size() >= 2 && absl::SimpleAtoi(words[words.size() - 2], count);
}

// The name of section 0 and the flags of many are blank.
bool ParseSectionRow(absl::string_view row, size_t* index,
                     ReadelfSection* section) {
  if (!absl::ConsumePrefix(&row, "[")) return false;
  const size_t close = row.find(']');
  if (close == absl::string_view::npos ||
      !absl::SimpleAtoi(row.substr(0, close), index)) {
    return false;
  }
  row.remove_prefix(close + 1);
  ReadelfSection s;
  std::vector<absl::string_view> words = Words(row);
  if (row.size() > 1 && row[1] != ' ') {  // A name, not blanks.
    s.name = std::string(words[0]);
    words.erase(words.begin());
  }
  // Type, address, offset, size, entry size, [flags,] link, info, align.
  if (words.size() != 8 && words.size() != 9) return false;
  const size_t link = words.size() - 3;
  s.type = std::string(words[0]);
  if (words.size() == 9) s.flags = std::string(words[5]);
  uint64_t* hex[] = {&s.addr, &s.offset, &s.size, &s.entsize};
  for (int i = 0; i < 4; ++i) {
    if (!ParseBareHex(words[i + 1], hex[i])) return false;
  }
  if (!absl::SimpleAtoi(words[link], &s.link) ||
      !absl::SimpleAtoi(words[link + 1], &s.info) ||
      !absl::SimpleAtoi(words[link + 2], &s.align)) {
    return false;
  }
  *section = std::move(s);
  return true;
}

// The flags column may be blank.
bool ParseSegmentRow(absl::string_view row, ReadelfSegment* segment) {
  const std::vector<absl::string_view> words = Words(row);
  if (words.size() < 7) return false;
  ReadelfSegment s{};
  bool known = false;
  for (const auto& [name, number] : kSegmentTypes) {
    if (words[0] == name) {
      s.type = number;
      known = true;
    }
  }
  uint64_t* fields[] = {&s.offset, &s.vaddr, &s.paddr, &s.filesz, &s.memsz};
  for (int i = 0; i < 5; ++i) {
    if (!ParseHex(words[i + 1], fields[i])) return false;
  }
  if (!known || !ParseHex(words.back(), &s.align)) return false;
  for (size_t i = 6; i + 1 < words.size(); ++i) {
    if (!ParseSegmentFlags(words[i], &s.flags)) return false;
  }
  *segment = s;
  return true;
}

// Sizes print as "1234 (bytes)"; values readelf prints as names ("Shared
// library: [libc.so.6]") are left empty.
bool ParseDynamicRow(absl::string_view row, ReadelfDynamic* entry) {
  const size_t close = row.find(')');
  uint64_t tag;
  if (close == absl::string_view::npos ||
      !ParseHex(row.substr(0, row.find(' ')), &tag)) {
    return false;
  }
  absl::string_view text = absl::StripAsciiWhitespace(row.substr(close + 1));
  std::optional<uint64_t> value;
  if (uint64_t v; ParseHex(text, &v) ||
                  absl::SimpleAtoi(text.substr(0, text.find(' ')), &v)) {
    value = v;
  }
  *entry = {static_cast<int64_t>(tag), value};
  return true;
}

// REL rows have no addend; a type readelf does not know is "unrecognized: 1".
bool ParseRelocationRow(absl::string_view row, bool rela,
                        ReadelfRelocation* relocation) {
  const std::vector<absl::string_view> words = Words(row);
  ReadelfRelocation r;
  if (words.size() < (rela ? 4u : 3u) || !ParseBareHex(words[0], &r.offset) ||
      !ParseBareHex(words[1], &r.info) ||
      (rela && !ParseAddend(words, &r.addend))) {
    return false;
  }
  r.type = std::string(words[2]);
  *relocation = std::move(r);
  return true;
}

bool ParseRelrRow(absl::string_view row, uint64_t* offset) {
  return ParseBareHex(row, offset);
}

}  // namespace granule::testing::readelf_rows
