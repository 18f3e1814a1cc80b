// Test helpers for the writer: readelf's report on a file, parsed; word
// access and a RELR decoder written independently of the writer's.
#ifndef GRANULE_LOADER_IMAGE_WRITER_TEST_UTIL_H_
#define GRANULE_LOADER_IMAGE_WRITER_TEST_UTIL_H_

#include <cstdint>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "loader/byte_order.h"

namespace granule {

// Names test parameters "ELF64 big-endian" rather than by their bytes.
inline void PrintTo(const ElfVariant& variant, std::ostream* os) {
  *os << variant.ToString();
}

struct Phdr {
  std::string type;   // "LOAD", "DYNAMIC", ...
  std::string flags;  // "R", "RE", "RW".
  uint64_t offset = 0, vaddr = 0, paddr = 0, filesz = 0, memsz = 0, align = 0;
};

struct Shdr {
  std::string name, type, flags;  // flags as readelf's letters: "WA".
  uint64_t addr = 0, offset = 0, size = 0, entsize = 0, align = 0;
};

struct DynEntry {
  int64_t tag;
  uint64_t value;
  friend bool operator==(const DynEntry& a, const DynEntry& b) {
    return a.tag == b.tag && a.value == b.value;
  }
  friend std::ostream& operator<<(std::ostream& os, const DynEntry& e) {
    return os << "{tag " << std::hex << e.tag << ", value " << e.value
              << std::dec << "}";
  }
};

struct Reloc {
  uint64_t offset = 0, info = 0;
  std::string type;     // "R_X86_64_RELATIVE", or "unrecognized:".
  uint64_t addend = 0;  // RELA only.
};

// `readelf -W -h -l -S -d -r`, run on a file and parsed.
struct Readelf {
  std::string output;  // Everything readelf wrote, stderr included.
  std::vector<std::pair<std::string, std::string>> header;
  std::vector<Phdr> segments;
  std::vector<Shdr> sections;
  std::vector<DynEntry> dynamic;  // DT_NULL included.
  std::vector<std::string> relocation_sections;
  std::vector<Reloc> relocations;      // RELA and REL entries.
  std::vector<uint64_t> relr_offsets;  // What readelf decodes from RELR.

  // The value of the n-th "Key: value" line of the ELF header block.
  std::string Header(const std::string& key, int n = 0) const;
};

Readelf RunReadelf(const std::string& path);

std::vector<uint8_t> ReadFile(const std::string& path);

uint64_t LoadWordForTest(const uint8_t* p, int width, bool big_endian);
void StoreWordForTest(uint8_t* p, int width, bool big_endian, uint64_t value);

// The addresses a RELR table relocates, by the ELF gABI's definition.
std::vector<uint64_t> DecodeRelr(const std::vector<uint64_t>& words,
                                 int word_size);

}  // namespace granule

#endif  // GRANULE_LOADER_IMAGE_WRITER_TEST_UTIL_H_
