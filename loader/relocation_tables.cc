// SPDX-License-Identifier: Apache-2.0
#include "loader/relocation_tables.h"

#include <algorithm>
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
  const TableTags tags = TagsOf(kind);
  RelocationTable table(kind, tags.name, EntrySize(memory.image(), kind));
  GRANULE_ASSIGN_OR_RETURN(std::optional<Extent> extent,
                           FindExtent(memory.image(), tags, table.entry_size_));
  if (!extent) return table;
  const auto [address, size] = *extent;
  GRANULE_ASSIGN_OR_RETURN(uint8_t* bytes,
                           memory.At(address, size, /*writable=*/false,
                                     absl::StrCat(tags.name, " table")));
  table.bytes_ = absl::MakeConstSpan(bytes, size);
  return table;
}

// Past its segment's p_filesz the table is zeros, counted rather than read.
absl::StatusOr<RelocationTable> RelocationTable::InFile(
    const File& file, const ImageMemory& memory, TableKind kind) {
  const ElfImage& image = memory.image();
  const TableTags tags = TagsOf(kind);
  RelocationTable table(kind, tags.name, EntrySize(image, kind));
  GRANULE_ASSIGN_OR_RETURN(std::optional<Extent> extent,
                           FindExtent(image, tags, table.entry_size_));
  if (!extent) return table;
  const auto [address, size] = *extent;
  GRANULE_RETURN_IF_ERROR(memory.Check(address, size, /*writable=*/false,
                                       absl::StrCat(tags.name, " table")));
  for (const Segment* s : image.LoadSegments()) {
    if (!checked::RangeInside(address, size, s->vaddr, s->memsz)) continue;
    const uint64_t into = address - s->vaddr;
    const uint64_t in_file = into < s->filesz ? s->filesz - into : 0;
    table.read_.resize(std::min(size, in_file));
    table.zero_tail_ = size - table.read_.size();
    GRANULE_RETURN_IF_ERROR(
        file.ReadAt(s->offset + into, absl::MakeSpan(table.read_)));
    break;
  }
  table.bytes_ = table.read_;
  return table;
}

}  // namespace granule
