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

// The first word of entry `index` (its place, or RELR's address or
// bitmap); none when reading it from the file fails (the walk that follows
// reports that).
std::optional<uint64_t> WordAt(const RelocationTable& table, uint64_t index,
                               int word, bool big_endian) {
  uint8_t scratch[8];
  absl::StatusOr<absl::Span<const uint8_t>> bytes =
      table.BytesAt(index * table.entry_size(), word,
                    absl::MakeSpan(scratch, word));
  if (!bytes.ok()) return std::nullopt;
  return LoadUnsigned(bytes->data(), word, big_endian);
}

struct AddressEntry {
  uint64_t index, address;
};

// The last address entry of a RELR table at or before `index`; none when
// every entry is a bitmap or a read fails. Read backwards a window at a
// time, as bitmaps after the last address are few.
std::optional<AddressEntry> LastAddressEntry(const RelocationTable& table,
                                             uint64_t index, int word,
                                             bool big_endian) {
  constexpr uint64_t kWindowWords = 64;
  uint8_t scratch[kWindowWords * 8];
  for (uint64_t end = index + 1; end > 0;) {
    const uint64_t begin = end > kWindowWords ? end - kWindowWords : 0;
    absl::StatusOr<absl::Span<const uint8_t>> bytes = table.BytesAt(
        begin * word, (end - begin) * word,
        absl::MakeSpan(scratch, (end - begin) * word));
    if (!bytes.ok()) return std::nullopt;
    for (uint64_t i = end; i > begin; --i) {
      const uint64_t entry = LoadUnsigned(
          bytes->data() + (i - 1 - begin) * word, word, big_endian);
      if ((entry & 1) == 0) return AddressEntry{i - 1, entry};
    }
    end = begin;
  }
  return std::nullopt;
}

// RELR's last place is past its last address by up to one word per bit of
// the bitmaps that follow it.
std::optional<Bounds> PlaceBounds(const RelocationTable& table, int word,
                                  bool big_endian) {
  const uint64_t entries = table.size() / table.entry_size();
  if (entries == 0) return std::nullopt;
  const std::optional<uint64_t> first = WordAt(table, 0, word, big_endian);
  if (!first) return std::nullopt;
  if (table.kind() != TableKind::kRelr) {
    const std::optional<uint64_t> last =
        WordAt(table, entries - 1, word, big_endian);
    if (!last) return std::nullopt;
    return Bounds{*first, *last, entries};
  }
  if (*first & 1) return std::nullopt;  // A bitmap first: an error later.
  const std::optional<AddressEntry> address =
      LastAddressEntry(table, entries - 1, word, big_endian);
  if (!address) return std::nullopt;
  const std::optional<uint64_t> last = checked::Add(
      address->address, (entries - 1 - address->index) * (8 * word - 1) * word);
  if (!last) return std::nullopt;
  return Bounds{*first, *last, entries};
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
