// SPDX-License-Identifier: Apache-2.0
// An image's relocation tables (DT_RELA, DT_REL, DT_RELR), found through its
// dynamic section and checked against its PT_LOAD segments: read in place
// from loaded memory for a load, or from the file for `granule check`, which
// does not map the image. The relocator walks either the same way.
#ifndef GRANULE_LOADER_RELOCATION_TABLES_H_
#define GRANULE_LOADER_RELOCATION_TABLES_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "loader/elf/elf_image.h"
#include "loader/relocator.h"
#include "platform/file.h"

namespace granule {

enum class TableKind { kRela, kRel, kRelr };

// One entry of a table, held as two words so that naming it (a StrFormat)
// happens only for the entry that fails.
struct EntryRef {
  const char* table;  // "DT_RELA"
  size_t index;

  std::string Name() const;  // "DT_RELA entry 3"
};

// Whether the dynamic table names any relocation table (its address or
// size): one pass, for the many images that have none.
bool HasRelocationTables(const ElfImage& image);

class RelocationTable {
 public:
  RelocationTable(RelocationTable&&) = default;
  RelocationTable& operator=(RelocationTable&&) = default;

  TableKind kind() const { return kind_; }
  const char* name() const { return name_; }
  // The table's bytes; empty when the image has none.
  absl::Span<const uint8_t> bytes() const { return bytes_; }
  // Bytes of the table past bytes(), all zero: a table read from the file
  // that runs past its segment's p_filesz (p_memsz may be far larger).
  uint64_t zero_tail() const { return zero_tail_; }
  // The entry size the kind has in this image's class.
  uint64_t entry_size() const { return entry_size_; }
  EntryRef Entry(size_t index) const { return {name_, index}; }

  // The table in the loaded image.
  static absl::StatusOr<RelocationTable> InMemory(const ImageMemory& memory,
                                                  TableKind kind);
  // The table read from the image's file; `memory` only checks addresses.
  static absl::StatusOr<RelocationTable> InFile(const File& file,
                                                const ImageMemory& memory,
                                                TableKind kind);

 private:
  RelocationTable(TableKind kind, const char* name, uint64_t entry_size)
      : kind_(kind), name_(name), entry_size_(entry_size) {}

  TableKind kind_;
  const char* name_;
  uint64_t entry_size_;
  absl::Span<const uint8_t> bytes_;
  uint64_t zero_tail_ = 0;
  std::vector<uint8_t> read_;  // The bytes, when read from a file.
};

}  // namespace granule

#endif  // GRANULE_LOADER_RELOCATION_TABLES_H_
