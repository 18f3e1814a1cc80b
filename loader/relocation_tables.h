// SPDX-License-Identifier: Apache-2.0
// An image's relocation tables (DT_RELA, DT_REL, DT_RELR), found through its
// dynamic section and checked against its PT_LOAD segments: read in place
// from loaded memory, or from the file (for `granule check`, which does not
// map the image, and for a load's large tables). The relocator walks either
// the same way.
#ifndef GRANULE_LOADER_RELOCATION_TABLES_H_
#define GRANULE_LOADER_RELOCATION_TABLES_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/functional/function_ref.h"
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

// Bytes read from a file a chunk at a time: 64 KiB less what makes the
// chunk whole entries.
inline constexpr uint64_t kTableChunkBytes = 64 << 10;
// A load reads a table at least this large in a read-only segment from the
// file, not through its mapping (RelocationTable::ForLoad).
inline constexpr uint64_t kStreamedTableBytes = kTableChunkBytes;

class RelocationTable {
 public:
  RelocationTable(RelocationTable&&) = default;
  RelocationTable& operator=(RelocationTable&&) = default;

  TableKind kind() const { return kind_; }
  const char* name() const { return name_; }
  // Bytes of whole entries visited (ForEachChunk); 0 when the image has no
  // such table.
  uint64_t size() const { return size_; }
  // Bytes of the table past size(), all zero: a table read from the file
  // that runs past its segment's p_filesz (p_memsz may be far larger).
  uint64_t zero_tail() const { return zero_tail_; }
  // The entry size the kind has in this image's class.
  uint64_t entry_size() const { return entry_size_; }
  EntryRef Entry(size_t index) const { return {name_, index}; }
  // Whether the bytes come from the file as they are visited.
  bool read_from_file() const { return file_ != nullptr; }

  using ChunkVisitor =
      absl::FunctionRef<absl::Status(absl::Span<const uint8_t>, size_t)>;
  // Calls `visit` over the first size() bytes in order, in spans of whole
  // entries, each with the index of its first entry: in place, one span,
  // for a table in memory; else read from the file into one buffer a chunk
  // at a time (past p_filesz, zeros). Stops at the first error, a read's
  // (naming the file) or visit's.
  absl::Status ForEachChunk(ChunkVisitor visit) const;
  // The `length` bytes at `offset`, which lie inside size(): in place, or
  // read from the file into `scratch`, which holds at least `length`.
  absl::StatusOr<absl::Span<const uint8_t>> BytesAt(
      uint64_t offset, uint64_t length, absl::Span<uint8_t> scratch) const;

  // The table in the loaded image.
  static absl::StatusOr<RelocationTable> InMemory(const ImageMemory& memory,
                                                  TableKind kind);
  // The table in the image's file, read as it is visited; `memory` only
  // checks addresses.
  static absl::StatusOr<RelocationTable> InFile(const File& file,
                                                const ImageMemory& memory,
                                                TableKind kind);
  // For a load that mapped `file` (null: none did): InFile for a table of
  // at least kStreamedTableBytes wholly inside the file bytes of a segment
  // that is not writable, so no relocation can have changed it; else
  // InMemory. Read into one small buffer, a large table's pages are never
  // faulted in: relocation_bench's 100,000 RELA relocations (2.4 MB of
  // table) load in about half the time they take read through the mapping.
  static absl::StatusOr<RelocationTable> ForLoad(const File* file,
                                                 const ImageMemory& memory,
                                                 TableKind kind);

 private:
  RelocationTable(TableKind kind, const char* name, uint64_t entry_size)
      : kind_(kind), name_(name), entry_size_(entry_size) {}
  static absl::StatusOr<RelocationTable> Find(const File* file,
                                              const ImageMemory& memory,
                                              TableKind kind,
                                              uint64_t min_file_bytes);

  TableKind kind_;
  const char* name_;
  uint64_t entry_size_;
  uint64_t size_ = 0;
  uint64_t zero_tail_ = 0;
  const uint8_t* memory_ = nullptr;  // In place, when not read from a file.
  const File* file_ = nullptr;
  uint64_t file_offset_ = 0;
  uint64_t file_bytes_ = 0;  // Of size(); the rest of the last entry is 0.
};

}  // namespace granule

#endif  // GRANULE_LOADER_RELOCATION_TABLES_H_
