// SPDX-License-Identifier: Apache-2.0
#include "loader/relocation_pages.h"

#include <algorithm>
#include <optional>

#include "absl/strings/str_cat.h"
#include "loader/elf/byte_order.h"
#include "platform/checked.h"

namespace granule {
namespace {

struct Bounds {
  uint64_t first = 0, last = 0;  // Addresses of the first and last place.
  uint64_t entries = 0;
};

// RELR's last place is past its last address by up to one word per bit of
// the bitmaps that follow it.
std::optional<Bounds> PlaceBounds(const RelocationTable& table, int word,
                                  bool big_endian) {
  const absl::Span<const uint8_t> bytes = table.bytes();
  const uint64_t entries = bytes.size() / table.entry_size();
  if (entries == 0) return std::nullopt;
  const auto read = [&](uint64_t i) {
    return LoadUnsigned(bytes.data() + i * table.entry_size(), word,
                        big_endian);
  };
  if (table.kind() != TableKind::kRelr) {
    return Bounds{read(0), read(entries - 1), entries};
  }
  if (read(0) & 1) return std::nullopt;  // A bitmap first: an error later.
  uint64_t address = entries - 1;
  while (read(address) & 1) --address;
  const std::optional<uint64_t> last = checked::Add(
      read(address), (entries - 1 - address) * (8 * word - 1) * word);
  if (!last) return std::nullopt;
  return Bounds{read(0), *last, entries};
}

}  // namespace

PageRange PagesToPopulate(const ImageMemory& memory,
                          const RelocationTable& table, uint64_t page_size) {
  const ElfVariant variant = memory.image().variant;
  const int word = variant.word_size();
  const std::optional<Bounds> b =
      PlaceBounds(table, word, variant.big_endian);
  if (!b || b->last < b->first) return {};
  const Segment* s = memory.Containing(b->first, word);
  if (s == nullptr || !s->writable()) return {};
  // Only the segment's file bytes: its zero-filled tail is another mapping.
  const uint64_t low = std::max(b->first, s->vaddr);
  const uint64_t high = std::min(b->last + word, s->vaddr + s->filesz);
  if (high <= low) return {};
  // Offsets from memory's data, which is the region's first byte.
  const std::optional<uint64_t> begin =
      checked::AlignUp(memory.OffsetOf(low), page_size);
  const uint64_t end = checked::AlignDown(memory.OffsetOf(high), page_size);
  if (!begin || end <= *begin) return {};
  const uint64_t pages = (end - *begin) / page_size;
  if (pages < kMinPagesToPopulate || pages > b->entries) return {};
  return {*begin, end - *begin};
}

absl::Status PopulatePlaces(const ImageMemory& memory,
                            const RelocationTable& table, Region& region) {
  const PageRange pages = PagesToPopulate(
      memory, table, region.backend().geometry().page_size());
  if (pages.length == 0) return absl::OkStatus();
  absl::Status s = region.Populate(pages.offset, pages.length);
  if (s.ok()) return s;
  return absl::Status(s.code(),
                      absl::StrCat(memory.image().path, ": ", s.message()));
}

}  // namespace granule
