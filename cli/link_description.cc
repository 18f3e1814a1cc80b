// SPDX-License-Identifier: Apache-2.0
#include "cli/link_description.h"

#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "cli/description_tokens.h"
#include "platform/page_geometry.h"
#include "platform/status_macros.h"

namespace granule::cli {
namespace {

// Stores a parsed value; false (and nothing stored) when there is none.
template <typename T, typename Field>
bool Assign(const std::optional<T>& value, Field& field) {
  if (!value) return false;
  field = static_cast<Field>(*value);
  return true;
}

// A SECTION[+OFFSET] reference, checked once every section is known.
struct Reference {
  int line;
  std::string token;
  SectionRef ref;
};

class Parser {
 public:
  explicit Parser(absl::string_view file) : file_(file) {}

  absl::Status Line(int number, absl::string_view text);
  absl::StatusOr<ImageSpec> Finish();

 private:
  template <typename... Args>
  absl::Status Error(const absl::FormatSpec<Args...>& format,
                     const Args&... args) const {
    return absl::InvalidArgumentError(absl::StrCat(
        file_, ":", line_, ": ", absl::StrFormat(format, args...)));
  }
  absl::Status Header(const std::vector<Token>& tokens);
  // Sets the header field `keyword` from `value`; false when it is bad.
  bool SetHeader(const std::string& keyword, const Token& value);
  absl::Status Section(const std::vector<Token>& tokens);
  absl::Status Contents(const std::vector<Token>& tokens, size_t at,
                        SectionSpec& section);
  absl::Status Reloc(const std::vector<Token>& tokens);
  absl::Status Dynamic(const std::vector<Token>& tokens);
  absl::StatusOr<uint64_t> Number(const Token& token, const char* what) const;
  absl::StatusOr<uint64_t> Size(const Token& token, const char* what) const;
  absl::StatusOr<Reference> Ref(const Token& token) const;
  // Exactly `count` tokens, else an error quoting `usage`.
  absl::Status Expect(const std::vector<Token>& tokens, size_t count,
                      absl::string_view usage) const;
  // The size of the named section, or an error at `ref`'s line.
  absl::StatusOr<const SectionSpec*> Resolve(const Reference& ref);

  std::string file_;
  int line_ = 0;
  ImageSpec spec_;
  std::map<std::string, int> header_lines_;              // Directive -> line.
  std::map<std::string, int> section_lines_;             // Name -> line.
  std::vector<std::pair<Reference, Reference>> relocs_;  // Place, target.
  std::vector<std::pair<size_t, Reference>> addresses_;  // Dynamic entry.
};

absl::Status Parser::Expect(const std::vector<Token>& tokens, size_t count,
                            absl::string_view usage) const {
  if (tokens.size() == count) return absl::OkStatus();
  if (tokens.size() > count) {
    return Error("unexpected '%s' at the end of the '%s' line (expected: %s)",
                 tokens[count].text, tokens[0].text, usage);
  }
  return Error("incomplete '%s' line (expected: %s)", tokens[0].text, usage);
}

absl::StatusOr<uint64_t> Parser::Number(const Token& token,
                                        const char* what) const {
  std::optional<uint64_t> value = ParseNumber(token);
  if (!value) {
    return Error("bad %s '%s': expected a decimal or 0x hex number", what,
                 token.text);
  }
  return *value;
}

absl::StatusOr<uint64_t> Parser::Size(const Token& token,
                                      const char* what) const {
  std::optional<uint64_t> value = ParseSize(token);
  if (!value) {
    return Error(
        "bad %s '%s': expected a decimal or 0x hex number, with an "
        "optional k or m suffix",
        what, token.text);
  }
  return *value;
}

absl::StatusOr<Reference> Parser::Ref(const Token& token) const {
  Reference ref;
  ref.line = line_;
  ref.token = token.text;
  const size_t plus = token.text.rfind('+');
  ref.ref.section = token.text.substr(0, plus);
  if (ref.ref.section.empty()) {
    return Error("bad reference '%s': expected SECTION or SECTION+OFFSET",
                 token.text);
  }
  if (plus != std::string::npos) {
    std::optional<uint64_t> offset = ParseNumber({token.text.substr(plus + 1)});
    if (!offset) {
      return Error(
          "bad reference '%s': the offset after '+' must be a "
          "number",
          token.text);
    }
    ref.ref.offset = *offset;
  }
  return ref;
}

absl::Status Parser::Line(int number, absl::string_view text) {
  line_ = number;
  absl::StatusOr<std::vector<Token>> tokens = TokenizeLine(text);
  if (!tokens.ok()) return Error("%s", tokens.status().message());
  if (tokens->empty()) return absl::OkStatus();
  const Token& keyword = tokens->front();
  if (keyword.text == "section") return Section(*tokens);
  if (keyword.text == "reloc") return Reloc(*tokens);
  if (keyword.text == "dynamic") return Dynamic(*tokens);
  return Header(*tokens);
}

absl::Status Parser::Header(const std::vector<Token>& tokens) {
  const std::string& keyword = tokens[0].text;
  static const char* const kForms[][2] = {
      {"variant", "elf64-little, elf64-big, elf32-little or elf32-big"},
      {"machine", "none, a machine name such as x86-64, or a number"},
      {"layout", "1:1 or compact"},
      {"relocations", "rela, rel or relr"},
      {"alignment", "a power of two, such as 64k"},
      {"osabi", "a number from 0 to 255"}};
  const char* form = nullptr;
  for (const auto& [name, expected] : kForms) {
    if (keyword == name) form = expected;
  }
  if (form == nullptr) {
    return Error(
        "unknown directive '%s' (expected variant, machine, layout, "
        "relocations, alignment, osabi, section, reloc or dynamic)",
        keyword);
  }
  GRANULE_RETURN_IF_ERROR(Expect(tokens, 2, absl::StrCat(keyword, " VALUE")));
  auto [earlier, first] = header_lines_.emplace(keyword, line_);
  if (!first) {
    return Error("'%s' already given on line %d", keyword, earlier->second);
  }
  if (!SetHeader(keyword, tokens[1])) {
    return Error("bad %s '%s': expected %s", keyword, tokens[1].text, form);
  }
  return absl::OkStatus();
}

bool Parser::SetHeader(const std::string& keyword, const Token& value) {
  if (keyword == "variant") {
    return Assign(VariantByName(value.text), spec_.variant);
  }
  if (keyword == "layout") {
    return Assign(LayoutByName(value.text), spec_.layout);
  }
  if (keyword == "relocations") {
    return Assign(RelocationFormatByName(value.text), spec_.relocation_format);
  }
  if (keyword == "machine") {
    std::optional<uint64_t> machine = MachineByName(value.text);
    if (!machine) machine = ParseNumber(value);
    return machine && *machine <= UINT16_MAX && Assign(machine, spec_.machine);
  }
  if (keyword == "alignment") {
    std::optional<uint64_t> alignment = ParseSize(value);
    return alignment && IsPowerOfTwo(*alignment) &&
           Assign(alignment, spec_.segment_alignment);
  }
  std::optional<uint64_t> abi = ParseNumber(value);  // osabi
  return abi && *abi <= 255 && Assign(abi, spec_.os_abi);
}

absl::Status Parser::Section(const std::vector<Token>& tokens) {
  constexpr char kForm[] =
      "section NAME r|rx|rw [align N] text \"...\"|hex BYTES|fill N BYTE|"
      "zero N";
  if (tokens.size() < 4) return Expect(tokens, 4, kForm);
  SectionSpec section;
  section.name = tokens[1].text;
  auto [earlier, first] = section_lines_.emplace(section.name, line_);
  if (!first) {
    return Error("section '%s' already defined on line %d", section.name,
                 earlier->second);
  }
  if (!Assign(AccessByName(tokens[2].text), section.access)) {
    return Error("section '%s': bad access '%s': expected r, rx or rw",
                 section.name, tokens[2].text);
  }
  size_t at = 3;
  if (tokens[at].text == "align") {
    if (tokens.size() < 6) return Expect(tokens, 6, kForm);
    GRANULE_ASSIGN_OR_RETURN(uint64_t alignment,
                             Size(tokens[at + 1], "alignment"));
    if (!IsPowerOfTwo(alignment)) {
      return Error("section '%s': bad alignment '%s': not a power of two",
                   section.name, tokens[at + 1].text);
    }
    section.alignment = alignment;
    at += 2;
  }
  GRANULE_RETURN_IF_ERROR(Contents(tokens, at, section));
  spec_.sections.push_back(std::move(section));
  return absl::OkStatus();
}

absl::Status Parser::Contents(const std::vector<Token>& tokens, size_t at,
                              SectionSpec& section) {
  const std::string& kind = tokens[at].text;
  const size_t args = tokens.size() - at - 1;
  auto missing = [&](const char* form) {
    return Error("section '%s': '%s' expects %s", section.name, kind, form);
  };
  if (kind == "text") {
    if (args == 0) return missing("one or more \"quoted strings\"");
    for (size_t i = at + 1; i < tokens.size(); ++i) {
      if (!tokens[i].quoted) {
        return Error("section '%s': expected a \"quoted string\", not '%s'",
                     section.name, tokens[i].text);
      }
      section.bytes.insert(section.bytes.end(), tokens[i].text.begin(),
                           tokens[i].text.end());
    }
  } else if (kind == "hex") {
    if (args == 0) return missing("hex bytes such as 90 c3 or 90c3");
    for (size_t i = at + 1; i < tokens.size(); ++i) {
      if (!AppendHexBytes(tokens[i].text, section.bytes)) {
        return Error(
            "section '%s': bad hex bytes '%s': expected pairs of "
            "hex digits",
            section.name, tokens[i].text);
      }
    }
  } else if (kind == "fill" || kind == "zero") {
    const size_t want = kind == "fill" ? 2 : 1;
    if (args != want) {
      return missing(kind == "fill" ? "a size and a byte value: fill 16 0xcc"
                                    : "a size: zero 4096");
    }
    GRANULE_ASSIGN_OR_RETURN(uint64_t size, Size(tokens[at + 1], "size"));
    if (size == 0 || size > (uint64_t{1} << 30)) {
      return Error("section '%s': bad size '%s': expected 1 byte to 1 GiB",
                   section.name, tokens[at + 1].text);
    }
    if (kind == "zero") {
      if (section.access != SectionAccess::kReadWrite) {
        return Error(
            "section '%s': 'zero' needs access rw (it becomes "
            "NOBITS memory, like .bss)",
            section.name);
      }
      section.zero_size = size;
      return absl::OkStatus();
    }
    GRANULE_ASSIGN_OR_RETURN(uint64_t byte,
                             Number(tokens[at + 2], "fill byte"));
    if (byte > 0xff) {
      return Error("section '%s': bad fill byte '%s': expected 0 to 255",
                   section.name, tokens[at + 2].text);
    }
    section.bytes.assign(size, static_cast<uint8_t>(byte));
  } else {
    return Error(
        "section '%s': bad contents '%s': expected text, hex, fill "
        "or zero",
        section.name, kind);
  }
  return absl::OkStatus();
}

absl::Status Parser::Reloc(const std::vector<Token>& tokens) {
  GRANULE_RETURN_IF_ERROR(Expect(tokens, 3, "reloc PLACE TARGET"));
  GRANULE_ASSIGN_OR_RETURN(Reference place, Ref(tokens[1]));
  GRANULE_ASSIGN_OR_RETURN(Reference target, Ref(tokens[2]));
  spec_.relocations.push_back({place.ref, target.ref});
  relocs_.emplace_back(place, target);
  return absl::OkStatus();
}

absl::Status Parser::Dynamic(const std::vector<Token>& tokens) {
  GRANULE_RETURN_IF_ERROR(Expect(tokens, 3, "dynamic TAG VALUE"));
  DynamicSpec entry;
  std::optional<int64_t> named = DynamicTagByName(tokens[1].text);
  absl::StatusOr<uint64_t> number = Number(tokens[1], "tag");
  if (!named && (!number.ok() || *number > INT64_MAX)) {
    return Error(
        "bad tag '%s': expected a number or a name such as INIT or "
        "GUILE_VM_VERSION",
        tokens[1].text);
  }
  entry.tag = named ? *named : static_cast<int64_t>(*number);
  if (IsWriterDynamicTag(entry.tag)) {
    return Error(
        "tag '%s' is written by the linker (from the reloc lines, or "
        "to end the table)",
        tokens[1].text);
  }
  const Token& value = tokens[2];
  if (!value.text.empty() && absl::ascii_isdigit(value.text[0])) {
    GRANULE_ASSIGN_OR_RETURN(uint64_t plain, Number(value, "value"));
    entry.value = plain;
  } else {
    GRANULE_ASSIGN_OR_RETURN(Reference address, Ref(value));
    entry.address_of = address.ref.section;
    entry.address_offset = address.ref.offset;
    addresses_.emplace_back(spec_.dynamic.size(), address);
  }
  spec_.dynamic.push_back(std::move(entry));
  return absl::OkStatus();
}

absl::StatusOr<const SectionSpec*> Parser::Resolve(const Reference& ref) {
  line_ = ref.line;
  for (const SectionSpec& section : spec_.sections) {
    if (section.name == ref.ref.section) return &section;
  }
  return Error("'%s': no section named '%s'", ref.token, ref.ref.section);
}

absl::StatusOr<ImageSpec> Parser::Finish() {
  if (spec_.sections.empty()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: no sections (add at least one 'section' line)", file_));
  }
  const uint64_t word = spec_.variant.word_size();
  auto size_of = [](const SectionSpec& s) {
    return s.zero_size > 0 ? s.zero_size : s.bytes.size();
  };
  for (const auto& [place, target] : relocs_) {
    GRANULE_ASSIGN_OR_RETURN(const SectionSpec* where, Resolve(place));
    const SectionSpec& s = *where;
    if (s.access != SectionAccess::kReadWrite || s.zero_size > 0) {
      return Error(
          "place '%s': section '%s' must be rw with file bytes "
          "(hex, text or fill) to hold the word",
          place.token, s.name);
    }
    if (place.ref.offset > size_of(s) || word > size_of(s) - place.ref.offset) {
      return Error(
          "place '%s': the %d-byte word runs past the end of '%s' "
          "(%d bytes)",
          place.token, word, s.name, size_of(s));
    }
    GRANULE_ASSIGN_OR_RETURN(const SectionSpec* to, Resolve(target));
    if (target.ref.offset > size_of(*to)) {
      return Error("target '%s': offset past the end of '%s' (%d bytes)",
                   target.token, to->name, size_of(*to));
    }
  }
  for (const auto& [index, address] : addresses_) {
    GRANULE_ASSIGN_OR_RETURN(const SectionSpec* to, Resolve(address));
    if (address.ref.offset > size_of(*to)) {
      return Error("address '%s': offset past the end of '%s' (%d bytes)",
                   address.token, to->name, size_of(*to));
    }
  }
  return std::move(spec_);
}

}  // namespace

absl::StatusOr<ImageSpec> ParseLinkDescription(absl::string_view text,
                                               absl::string_view file_name) {
  Parser parser(file_name);
  int number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    GRANULE_RETURN_IF_ERROR(parser.Line(++number, line));
  }
  return parser.Finish();
}

}  // namespace granule::cli
