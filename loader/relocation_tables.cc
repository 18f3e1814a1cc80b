// SPDX-License-Identifier: Apache-2.0
#include "loader/relocation_tables.h"

#include <algorithm>
#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "loader/elf/image_error.h"
#include "platform/checked.h"
#include "platform/status_macros.h"

namespace granule {
namespace {

struct TableTags {
  const char* name;  // "DT_RELA"
  int64_t address, size, entry_size;
};

TableTags TagsOf(TableKind kind) {
  switch (kind) {
    case TableKind::kRela:
      return {"DT_RELA", elf::kDtRela, elf::kDtRelasz, elf::kDtRelaent};
    case TableKind::kRel:
      return {"DT_REL", elf::kDtRel, elf::kDtRelsz, elf::kDtRelent};
    case TableKind::kRelr:
      break;
  }
  return {"DT_RELR", elf::kDtRelr, elf::kDtRelrsz, elf::kDtRelrent};
}

uint64_t EntrySize(const ElfImage& image, TableKind kind) {
  const elf::ClassSizes& sizes = image.variant.sizes();
  switch (kind) {
    case TableKind::kRela:
      return sizes.rela;
    case TableKind::kRel:
      return sizes.rel;
    case TableKind::kRelr:
      break;
  }
  return image.variant.word_size();
}

// Where the table is, from the dynamic section: its address and size, or
// nothing when the image has none.
struct Extent {
  uint64_t address = 0, size = 0;
};

absl::StatusOr<std::optional<Extent>> FindExtent(const ElfImage& image,
                                                 const TableTags& tags,
                                                 uint64_t entry_size) {
  const std::optional<uint64_t> address = image.DynamicValue(tags.address);
  const std::optional<uint64_t> size = image.DynamicValue(tags.size);
  const std::optional<uint64_t> entry = image.DynamicValue(tags.entry_size);
  if (!address && !size) return std::nullopt;
  if (!address || !size) {
    return InvalidImage(image, "%s and %sSZ must come together", tags.name,
                        tags.name);
  }
  if (entry && *entry != entry_size) {
    return InvalidImage(image, "%sENT %d is not %d for %s", tags.name, *entry,
                        entry_size, image.variant.ToString());
  }
  if (*size % entry_size != 0) {
    return InvalidImage(image,
                        "%sSZ 0x%x is not a multiple of the entry size %d",
                        tags.name, *size, entry_size);
  }
  return Extent{*address, *size};
}

}  // namespace

bool HasRelocationTables(const ElfImage& image) {
  for (const DynamicEntry& e : image.dynamic) {
    switch (e.tag) {
      case elf::kDtRela:
      case elf::kDtRelasz:
      case elf::kDtRel:
      case elf::kDtRelsz:
      case elf::kDtRelr:
      case elf::kDtRelrsz:
        return true;
    }
  }
  return false;
}

std::string EntryRef::Name() const {
  return absl::StrFormat("%s entry %d", table, index);
}

absl::StatusOr<RelocationTable> RelocationTable::InMemory(
    const ImageMemory& memory, TableKind kind) {
  return Find(nullptr, memory, kind, /*min_file_bytes=*/0);
}

absl::StatusOr<RelocationTable> RelocationTable::InFile(
    const File& file, const ImageMemory& memory, TableKind kind) {
  return Find(&file, memory, kind, /*min_file_bytes=*/0);
}

absl::StatusOr<RelocationTable> RelocationTable::ForLoad(
    const File* file, const ImageMemory& memory, TableKind kind) {
  return Find(file, memory, kind, kStreamedTableBytes);
}

// Located and checked once; then read from `file` (past p_filesz as zeros),
// or in place where there is no file or, with `min_file_bytes`, where the
// table is smaller, in a writable segment or not wholly in the file.
absl::StatusOr<RelocationTable> RelocationTable::Find(
    const File* file, const ImageMemory& memory, TableKind kind,
    uint64_t min_file_bytes) {
  const ElfImage& image = memory.image();
  const TableTags tags = TagsOf(kind);
  RelocationTable table(kind, tags.name, EntrySize(image, kind));
  GRANULE_ASSIGN_OR_RETURN(std::optional<Extent> extent,
                           FindExtent(image, tags, table.entry_size_));
  if (!extent) return table;
  const auto [address, size] = *extent;
  GRANULE_RETURN_IF_ERROR(memory.Check(address, size, /*writable=*/false,
                                       absl::StrCat(tags.name, " table")));
  const Segment& s = *memory.Containing(address, size);
  const uint64_t into = address - s.vaddr;
  const uint64_t in_file = into < s.filesz ? s.filesz - into : 0;
  if (file == nullptr ||
      (min_file_bytes > 0 &&
       (size < min_file_bytes || s.writable() || in_file < size))) {
    table.memory_ = memory.PointerInside(address);
    table.size_ = size;
    return table;
  }
  table.file_ = file;
  table.file_offset_ = s.offset + into;
  table.file_bytes_ = std::min(size, in_file);
  // Whole entries: a last entry cut by p_filesz is read with zeros after.
  table.size_ = std::min(size, checked::AlignUp(table.file_bytes_,
                                                table.entry_size_)
                                   .value_or(size));
  table.zero_tail_ = size - table.size_;
  return table;
}

absl::Status RelocationTable::ForEachChunk(ChunkVisitor visit) const {
  if (file_ == nullptr) {
    return size_ == 0 ? absl::OkStatus()
                      : visit(absl::MakeConstSpan(memory_, size_), 0);
  }
  const uint64_t chunk =
      std::min(size_, kTableChunkBytes - kTableChunkBytes % entry_size_);
  std::unique_ptr<uint8_t[]> buffer(new uint8_t[chunk]);
  for (uint64_t done = 0; done < size_; done += chunk) {
    const uint64_t length = std::min(chunk, size_ - done);
    absl::StatusOr<absl::Span<const uint8_t>> bytes =
        BytesAt(done, length, absl::MakeSpan(buffer.get(), length));
    if (!bytes.ok()) return bytes.status();
    GRANULE_RETURN_IF_ERROR(visit(*bytes, done / entry_size_));
  }
  return absl::OkStatus();
}

absl::StatusOr<absl::Span<const uint8_t>> RelocationTable::BytesAt(
    uint64_t offset, uint64_t length, absl::Span<uint8_t> scratch) const {
  if (file_ == nullptr) return absl::MakeConstSpan(memory_ + offset, length);
  const uint64_t read =
      offset < file_bytes_ ? std::min(length, file_bytes_ - offset) : 0;
  GRANULE_RETURN_IF_ERROR(
      file_->ReadAt(file_offset_ + offset, scratch.subspan(0, read)));
  std::fill(scratch.begin() + read, scratch.begin() + length, 0);
  return absl::MakeConstSpan(scratch.data(), length);
}

}  // namespace granule
