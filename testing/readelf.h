// SPDX-License-Identifier: Apache-2.0
// What GNU readelf says about ELF files: a second opinion, written by no one
// here, for tests to hold granule's reader and writer against. Runs
// `readelf -W -h -l -S -d -r` and parses the ELF header, the section headers,
// the program headers, the dynamic section and the relocations (REL, RELA and
// the addresses readelf decodes from RELR). Each table's row count, as readelf
// announces it, is checked against the rows parsed, and section rows against
// their indexes, so a row the parser skipped is an error rather than a table
// that is silently short.
#ifndef GRANULE_TESTING_READELF_H_
#define GRANULE_TESTING_READELF_H_

#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace granule::testing {

struct ReadelfSection {
  std::string name;   // Empty for section 0 and any other unnamed section.
  std::string type;   // readelf's word: "PROGBITS", "NOBITS", "RELR", ...
  std::string flags;  // readelf's letters: "WA", "AX"; empty for none.
  uint64_t addr = 0, offset = 0, size = 0, entsize = 0;
  uint32_t link = 0, info = 0;
  uint64_t align = 0;
};

struct ReadelfSegment {
  uint32_t type = 0;   // PT_* number, from readelf's name for it.
  uint32_t flags = 0;  // PF_R | PF_W | PF_X, from "R", "RW", "R E".
  uint64_t offset = 0, vaddr = 0, paddr = 0, filesz = 0, memsz = 0, align = 0;
};

struct ReadelfDynamic {
  int64_t tag = 0;
  // Empty when readelf prints a name instead of the number ("Shared library:
  // [libc.so.6]", "RELA", "Flags: NOW"). Sizes ("64 (bytes)") are numbers.
  std::optional<uint64_t> value;

  friend bool operator==(const ReadelfDynamic& a, const ReadelfDynamic& b) {
    return a.tag == b.tag && a.value == b.value;
  }
  friend std::ostream& operator<<(std::ostream& os, const ReadelfDynamic& e) {
    os << "{tag 0x" << std::hex << e.tag << ", value ";
    if (e.value.has_value()) {
      os << "0x" << *e.value;
    } else {
      os << "(not a number)";
    }
    return os << std::dec << "}";
  }
};

// A REL or RELA row.
struct ReadelfRelocation {
  uint64_t offset = 0, info = 0;
  std::string type;     // "R_X86_64_RELATIVE", or "unrecognized:".
  uint64_t addend = 0;  // RELA only; two's complement when negative.
};

struct ReadelfReport {
  std::string path;
  std::string output;    // What readelf printed about this file on stdout.
  std::string warnings;  // stderr; only RunReadelfOnFile can attribute it.

  // The "Key: value" lines of the ELF header block, in order, and the fields
  // tests compare, parsed.
  std::vector<std::pair<std::string, std::string>> header;
  std::vector<uint8_t> ident;  // The 16 bytes of e_ident ("Magic:").
  std::string type;            // "DYN", "EXEC", ...
  std::string machine;         // "None", "Advanced Micro Devices X86-64", ...
  uint64_t entry = 0;

  std::vector<ReadelfSection> sections;  // Section 0 included.
  std::vector<ReadelfSegment> segments;
  std::vector<ReadelfDynamic> dynamic;  // Every entry printed, DT_NULL too.
  std::vector<std::string> relocation_sections;  // Names, in file order.
  std::vector<ReadelfRelocation> relocations;    // Of every REL/RELA section.
  std::vector<uint64_t> relr_offsets;  // What readelf decodes from RELR.

  // The value of the n-th `key` line of the ELF header block ("Version"
  // appears twice), or "(missing KEY)".
  std::string Header(absl::string_view key, int n = 0) const;
  // `dynamic` up to, not including, the first DT_NULL: the entries a loader
  // reads.
  std::vector<ReadelfDynamic> DynamicBeforeNull() const;
};

// Runs readelf once on all of `paths` (callers batch them to bound the command
// line) and returns a report per path. An error names the file and the line
// readelf printed that could not be parsed, or readelf's exit status and what
// it wrote to stderr.
absl::StatusOr<std::map<std::string, ReadelfReport>> RunReadelf(
    const std::vector<std::string>& paths);

// RunReadelf on one file; readelf's stderr is that file's, so the report's
// `warnings` hold it.
absl::StatusOr<ReadelfReport> RunReadelfOnFile(const std::string& path);

// Parses readelf's output for `paths`, in that order: the part of RunReadelf
// that needs no process, for tests of the parser itself.
absl::StatusOr<std::map<std::string, ReadelfReport>> ParseReadelfOutput(
    const std::string& output, const std::vector<std::string>& paths);

}  // namespace granule::testing

#endif  // GRANULE_TESTING_READELF_H_
