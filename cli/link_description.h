// SPDX-License-Identifier: Apache-2.0
// The text format `granule link` reads: one directive per line, '#' starts a
// comment, tokens are separated by blanks, strings are "quoted" with C
// escapes (\n \t \0 \\ \" \xHH). Numbers are decimal or 0x hex; sizes and
// alignments also take k and m suffixes.
//
//   variant elf64-little          # elf64-big, elf32-little, elf32-big
//   machine none                  # a number, or x86-64, aarch64, ppc64, ...
//   layout 1:1                    # or compact
//   relocations rela              # rel, relr
//   alignment 64k                 # segment p_align (default 64 KiB)
//   osabi 255                     # e_ident[EI_OSABI] (default 0)
//   section NAME ACCESS [align N] CONTENTS
//       ACCESS is r, rx or rw; CONTENTS is one of
//       text "..."   hex 90 90 c3   fill N BYTE   zero N (rw only: .bss)
//   reloc PLACE TARGET            # the word at PLACE becomes base + TARGET
//   dynamic TAG VALUE             # TAG: a number or a name (INIT,
//                                 # GUILE_VM_VERSION); VALUE: a number or an
//                                 # address SECTION[+OFFSET]
//
// PLACE and TARGET are SECTION[+OFFSET]; sections may be named before or
// after they are defined. Every header directive is optional and may appear
// once.
#ifndef GRANULE_CLI_LINK_DESCRIPTION_H_
#define GRANULE_CLI_LINK_DESCRIPTION_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "loader/writer/image_writer.h"

namespace granule::cli {

// Parses a description. Every error is InvalidArgument "FILE:LINE: ...",
// naming the offending token. `file_name` is only used in messages.
absl::StatusOr<ImageSpec> ParseLinkDescription(absl::string_view text,
                                               absl::string_view file_name);

}  // namespace granule::cli

#endif  // GRANULE_CLI_LINK_DESCRIPTION_H_
