// SPDX-License-Identifier: Apache-2.0
// The words of a link description (cli/link_description.h): a line split
// into tokens, hex byte strings, and the names that stand for numbers.
#ifndef GRANULE_CLI_DESCRIPTION_TOKENS_H_
#define GRANULE_CLI_DESCRIPTION_TOKENS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "loader/writer/image_writer.h"

namespace granule::cli {

struct Token {
  std::string text;  // For a quoted token, with escapes decoded.
  bool quoted = false;
};

// Splits at blanks; '#' outside quotes starts a comment. "Quoted" tokens take
// \n \t \0 \\ \" and \xHH. Errors (InvalidArgument) name the bad escape or
// the unterminated string, without a line number: the caller adds it.
absl::StatusOr<std::vector<Token>> TokenizeLine(absl::string_view line);

// A decimal or 0x hex number; not quoted, no sign.
std::optional<uint64_t> ParseNumber(const Token& token);
// ParseNumber with an optional k or m suffix (powers of 1024).
std::optional<uint64_t> ParseSize(const Token& token);

// Appends the bytes of "90c3" (pairs of hex digits, either case); false when
// `text` is not that, leaving `out` unchanged.
bool AppendHexBytes(absl::string_view text, std::vector<uint8_t>& out);

// The spellings of cli/link_description.h: "elf64-little", "1:1",
// "compact", "rela", "rel", "relr", "r", "rx", "rw".
std::optional<ElfVariant> VariantByName(absl::string_view name);
std::optional<Layout> LayoutByName(absl::string_view name);
std::optional<RelocationFormat> RelocationFormatByName(absl::string_view name);
std::optional<SectionAccess> AccessByName(absl::string_view name);

// e_machine for "none", "x86-64", "X86_64", "aarch64", "ppc64", ... (case,
// '-' and '_' do not matter).
std::optional<uint16_t> MachineByName(absl::string_view name);

// d_tag for a name DynamicTagName gives ("INIT", "GUILE_VM_VERSION"), in any
// case, with or without "DT_".
std::optional<int64_t> DynamicTagByName(absl::string_view name);

// DT_NULL and the relocation table's tags: the writer produces those itself.
bool IsWriterDynamicTag(int64_t tag);

}  // namespace granule::cli

#endif  // GRANULE_CLI_DESCRIPTION_TOKENS_H_
