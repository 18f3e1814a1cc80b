// SPDX-License-Identifier: Apache-2.0
#include "cli/description_tokens.h"

#include <map>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "loader/elf/elf_format.h"
#include "loader/elf/elf_image.h"
#include "loader/elf/relocation_types.h"
#include "platform/status_macros.h"

namespace granule::cli {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = absl::ascii_tolower(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Decodes the escape at line[at] (just after the backslash) into `out`;
// returns the index after it.
absl::StatusOr<size_t> Escape(absl::string_view line, size_t at,
                              std::string& out) {
  if (at >= line.size()) {
    return absl::InvalidArgumentError("a backslash ends the line");
  }
  switch (line[at]) {
    case 'n':
      out += '\n';
      return at + 1;
    case 't':
      out += '\t';
      return at + 1;
    case '0':
      out += '\0';
      return at + 1;
    case '\\':
    case '"':
      out += line[at];
      return at + 1;
    case 'x': {
      const int high = at + 1 < line.size() ? HexValue(line[at + 1]) : -1;
      const int low = at + 2 < line.size() ? HexValue(line[at + 2]) : -1;
      if (high < 0 || low < 0) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "bad escape '\\%s': \\x takes two hex digits", line.substr(at, 3)));
      }
      out += static_cast<char>(high * 16 + low);
      return at + 3;
    }
  }
  return absl::InvalidArgumentError(absl::StrFormat(
      "bad escape '\\%c' (expected \\n \\t \\0 \\\\ \\\" or \\xHH)", line[at]));
}

// Reads the string whose opening quote is at line[start].
absl::StatusOr<size_t> QuotedToken(absl::string_view line, size_t start,
                                   Token& token) {
  token.quoted = true;
  size_t at = start + 1;
  while (at < line.size() && line[at] != '"') {
    if (line[at] == '\\') {
      GRANULE_ASSIGN_OR_RETURN(size_t next, Escape(line, at + 1, token.text));
      at = next;
    } else {
      token.text += line[at++];
    }
  }
  if (at >= line.size()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("unterminated string %s", line.substr(start, 20)));
  }
  ++at;  // The closing quote.
  if (at < line.size() && !absl::ascii_isspace(line[at]) && line[at] != '#') {
    return absl::InvalidArgumentError(
        absl::StrFormat("expected a blank after the string %s, not '%c'",
                        line.substr(start, at - start), line[at]));
  }
  return at;
}

}  // namespace

absl::StatusOr<std::vector<Token>> TokenizeLine(absl::string_view line) {
  std::vector<Token> tokens;
  size_t at = 0;
  while (at < line.size()) {
    if (absl::ascii_isspace(line[at])) {
      ++at;
      continue;
    }
    if (line[at] == '#') break;
    Token token;
    if (line[at] == '"') {
      GRANULE_ASSIGN_OR_RETURN(size_t next, QuotedToken(line, at, token));
      at = next;
    } else {
      while (at < line.size() && !absl::ascii_isspace(line[at]) &&
             line[at] != '#') {
        if (line[at] == '"') {
          return absl::InvalidArgumentError(absl::StrFormat(
              "a quote inside '%s\"': strings stand alone", token.text));
        }
        token.text += line[at++];
      }
    }
    tokens.push_back(std::move(token));
  }
  return tokens;
}

std::optional<uint64_t> ParseNumber(const Token& token) {
  uint64_t value = 0;
  absl::string_view text = token.text;
  const bool hex = absl::ConsumePrefix(&text, "0x");
  const bool ok = !token.quoted && !text.empty() &&
                  text.find_first_of("+-") == absl::string_view::npos &&
                  (hex ? absl::SimpleHexAtoi(text, &value)
                       : absl::SimpleAtoi(text, &value));
  if (!ok) return std::nullopt;
  return value;
}

std::optional<uint64_t> ParseSize(const Token& token) {
  Token digits = token;
  uint64_t unit = 1;
  const char suffix =
      token.text.empty() ? 0 : absl::ascii_tolower(token.text.back());
  if (suffix == 'k' || suffix == 'm') {
    unit = suffix == 'k' ? 1024 : 1024 * 1024;
    digits.text.pop_back();
  }
  std::optional<uint64_t> count = ParseNumber(digits);
  if (!count || *count > UINT64_MAX / unit) return std::nullopt;
  return *count * unit;
}

bool AppendHexBytes(absl::string_view text, std::vector<uint8_t>& out) {
  if (text.empty() || text.size() % 2 != 0) return false;
  std::vector<uint8_t> bytes;
  for (size_t i = 0; i < text.size(); i += 2) {
    const int high = HexValue(text[i]), low = HexValue(text[i + 1]);
    if (high < 0 || low < 0) return false;
    bytes.push_back(static_cast<uint8_t>(high * 16 + low));
  }
  out.insert(out.end(), bytes.begin(), bytes.end());
  return true;
}

namespace {

// Lower case, letters and digits only: "x86-64" and "X86_64" are "x8664".
std::string Squash(absl::string_view name) {
  std::string out;
  for (char c : name) {
    if (absl::ascii_isalnum(c)) out += absl::ascii_tolower(c);
  }
  return out;
}

template <typename T>
using Word = std::pair<const char*, T>;

constexpr Word<ElfVariant> kVariants[] = {{"elf64-little", {true, false}},
                                          {"elf64-big", {true, true}},
                                          {"elf32-little", {false, false}},
                                          {"elf32-big", {false, true}}};
constexpr Word<Layout> kLayouts[] = {{"1:1", Layout::kOneToOne},
                                     {"compact", Layout::kCompact}};
constexpr Word<RelocationFormat> kRelocationFormats[] = {
    {"rela", RelocationFormat::kRela},
    {"rel", RelocationFormat::kRel},
    {"relr", RelocationFormat::kRelr}};
constexpr Word<SectionAccess> kAccesses[] = {
    {"r", SectionAccess::kRead},
    {"rx", SectionAccess::kReadExecute},
    {"rw", SectionAccess::kReadWrite}};

template <typename T, size_t N>
std::optional<T> Lookup(const Word<T> (&words)[N], absl::string_view text) {
  for (const auto& [name, value] : words) {
    if (text == name) return value;
  }
  return std::nullopt;
}

}  // namespace

std::optional<ElfVariant> VariantByName(absl::string_view name) {
  return Lookup(kVariants, name);
}
std::optional<Layout> LayoutByName(absl::string_view name) {
  return Lookup(kLayouts, name);
}
std::optional<RelocationFormat> RelocationFormatByName(absl::string_view name) {
  return Lookup(kRelocationFormats, name);
}
std::optional<SectionAccess> AccessByName(absl::string_view name) {
  return Lookup(kAccesses, name);
}

std::optional<uint16_t> MachineByName(absl::string_view name) {
  static const auto* machines = [] {
    auto* m =
        new std::map<std::string, uint16_t>{{"ppc", elf::kMachinePpc},
                                            {"ppc64", elf::kMachinePpc64},
                                            {"amd64", elf::kMachineX86_64},
                                            {"arm64", elf::kMachineAarch64}};
    for (uint16_t machine :
         {elf::kMachineNone, elf::kMachine386, elf::kMachineMips,
          elf::kMachinePpc, elf::kMachinePpc64, elf::kMachineS390,
          elf::kMachineArm, elf::kMachineX86_64, elf::kMachineAarch64,
          elf::kMachineRiscv, elf::kMachineLoongArch}) {
      m->emplace(Squash(MachineName(machine)), machine);
    }
    return m;
  }();
  auto it = machines->find(Squash(name));
  if (it == machines->end()) return std::nullopt;
  return it->second;
}

std::optional<int64_t> DynamicTagByName(absl::string_view name) {
  static const auto* tags = [] {
    auto* t = new std::map<std::string, int64_t>;
    auto add_range = [t](int64_t first, int64_t last) {
      for (int64_t tag = first; tag <= last; ++tag) {
        const std::string tag_name = DynamicTagName(tag);
        if (!absl::StartsWith(tag_name, "0x")) t->emplace(tag_name, tag);
      }
    };
    add_range(elf::kDtNull, elf::kDtRelrent);
    add_range(elf::kDtGuileGcRoot, elf::kDtGuileFrameMaps);
    add_range(0x6ffffef0, 0x6fffffff);  // The GNU tags.
    return t;
  }();
  std::string key = absl::AsciiStrToUpper(name);
  if (absl::StartsWith(key, "DT_")) key = key.substr(3);
  auto it = tags->find(key);
  if (it == tags->end()) return std::nullopt;
  return it->second;
}

bool IsWriterDynamicTag(int64_t tag) {
  for (int64_t t : {elf::kDtNull, elf::kDtRela, elf::kDtRelasz, elf::kDtRelaent,
                    elf::kDtRel, elf::kDtRelsz, elf::kDtRelent, elf::kDtRelr,
                    elf::kDtRelrsz, elf::kDtRelrent}) {
    if (t == tag) return true;
  }
  return false;
}

}  // namespace granule::cli
