// What GNU readelf says about ELF files: a second opinion, written by no one
// here, for tests to hold granule's reader against. Runs `readelf -W -h -l -d`
// and parses the ELF header, the program headers and the dynamic section.
#ifndef GRANULE_TESTING_READELF_H_
#define GRANULE_TESTING_READELF_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace granule::testing {

struct ReadelfSegment {
  uint32_t type;   // PT_* number, from readelf's name for it.
  uint32_t flags;  // PF_R | PF_W | PF_X, from "R", "RW", "R E".
  uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

struct ReadelfDynamic {
  int64_t tag;
  // Empty when readelf prints a name instead of the number ("Shared library:
  // [libc.so.6]", "RELA", "Flags: NOW").
  std::optional<uint64_t> value;
};

struct ReadelfReport {
  std::string path;
  std::vector<uint8_t> ident;  // The 16 bytes of e_ident ("Magic:").
  std::string type;            // "DYN", "EXEC", ...
  std::string machine;         // "None", "Advanced Micro Devices X86-64", ...
  uint64_t entry = 0;
  std::vector<ReadelfSegment> segments;
  std::vector<ReadelfDynamic> dynamic;  // Up to, not including, DT_NULL.
};

// Runs readelf once on all of `paths` (callers batch them to bound the command
// line) and returns a report per path. An error names the file and the line
// readelf printed that could not be parsed, or readelf's exit status.
absl::StatusOr<std::map<std::string, ReadelfReport>> RunReadelf(
    const std::vector<std::string>& paths);

// Parses readelf's output for `paths`, in that order: the part of RunReadelf
// that needs no process, for tests of the parser itself.
absl::StatusOr<std::map<std::string, ReadelfReport>> ParseReadelfOutput(
    const std::string& output, const std::vector<std::string>& paths);

}  // namespace granule::testing

#endif  // GRANULE_TESTING_READELF_H_
