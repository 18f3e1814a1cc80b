// SPDX-License-Identifier: Apache-2.0
// RelayOutImage and ContentHash (loader/image_cache.h): the pure part of the
// image cache, with no file or OS call.
#include <algorithm>
#include <cstring>
#include <vector>

#include "absl/strings/str_format.h"
#include "loader/elf/byte_order.h"
#include "loader/elf/elf_format.h"
#include "loader/image_cache.h"
#include "platform/status_macros.h"

namespace granule {
namespace {

// Source bytes [from, from + length) go to offset `to` of the new file.
struct Move {
  uint64_t from, length, to;
};

uint64_t Up(uint64_t value, uint64_t unit, uint64_t residue) {
  return value + ((residue - value) & (unit - 1));
}

// Where source offset `o` went: inside a moved range when one holds it,
// else after the last range that starts at or before it (the end of the
// file, a NOBITS section's offset).
uint64_t MapOffset(const std::vector<Move>& moves, uint64_t o) {
  for (const Move& m : moves) {
    if (m.from <= o && o < m.from + m.length) return m.to + (o - m.from);
  }
  for (auto m = moves.rbegin(); m != moves.rend(); ++m) {
    if (m->from <= o) return m->to + (o - m->from);
  }
  return o;
}

// Loads in file order, each where it must go; what lies between or after
// them follows the load before it.
absl::StatusOr<std::vector<Move>> PlanMoves(const ElfImage& elf,
                                            uint64_t unit,
                                            std::vector<uint64_t>& load_to) {
  LoadSegmentList loads = elf.LoadSegments();
  std::stable_sort(loads.begin(), loads.end(),
                   [](const Segment* a, const Segment* b) {
                     return a->offset < b->offset;
                   });
  std::vector<Move> moves;
  uint64_t delta = 0, end = 0, cursor = 0;
  for (const Segment* s : loads) {
    if (s->offset > cursor) {
      moves.push_back({cursor, s->offset - cursor, cursor + delta});
    }
    const uint64_t own = std::max(unit, s->align);
    const uint64_t to = Up(std::max(s->offset + delta, end), own, s->vaddr);
    if (s->offset == 0 && to != 0) {
      return absl::FailedPreconditionError(absl::StrFormat(
          "%s: program header %d holds the ELF header at offset 0, but its "
          "address 0x%x is not on a %s boundary, so it cannot be re-laid out",
          elf.path, s->index, s->vaddr, FormatBytes(own)));
    }
    moves.push_back({s->offset, s->filesz, to});
    load_to[s->index] = to;
    delta = to - s->offset;
    end = to + s->filesz;
    cursor = std::max(cursor, s->offset + s->filesz);
  }
  if (elf.file_size > cursor) {
    moves.push_back({cursor, elf.file_size - cursor, cursor + delta});
  }
  return moves;
}

struct FieldPlaces {
  int phoff, shoff;           // In the ELF header.
  int p_offset, p_align;      // In a program header.
  int sh_offset;              // In a section header.
};

FieldPlaces Places(const ElfVariant& v) {
  return v.is64 ? FieldPlaces{0x20, 0x28, 8, 48, 0x18}
                : FieldPlaces{0x1c, 0x20, 4, 28, 0x10};
}

void PatchHeaders(const ElfImage& elf, const std::vector<Move>& moves,
                  const std::vector<uint64_t>& load_to, uint64_t unit,
                  std::vector<uint8_t>& out, absl::Span<const uint8_t> in) {
  const ElfVariant& v = elf.variant;
  const int w = v.word_size();
  const bool be = v.big_endian;
  const FieldPlaces f = Places(v);
  const uint64_t phoff = LoadUnsigned(&in[f.phoff], w, be);
  const uint64_t shoff = LoadUnsigned(&in[f.shoff], w, be);
  const uint64_t new_phoff = MapOffset(moves, phoff);
  const uint64_t new_shoff = shoff == 0 ? 0 : MapOffset(moves, shoff);
  StoreUnsigned(&out[f.phoff], w, be, new_phoff);
  StoreUnsigned(&out[f.shoff], w, be, new_shoff);
  for (const Segment& s : elf.segments) {
    uint8_t* p = &out[new_phoff + s.index * v.sizes().phdr];
    StoreUnsigned(p + f.p_offset, w, be,
                  s.is_load() ? load_to[s.index] : MapOffset(moves, s.offset));
    if (s.is_load()) {
      StoreUnsigned(p + f.p_align, w, be, std::max(s.align, unit));
    }
  }
  for (const Section& s : elf.sections) {
    if (s.index == 0 || s.type == elf::kShtNull) continue;
    uint8_t* p = &out[new_shoff + s.index * v.sizes().shdr];
    StoreUnsigned(p + f.sh_offset, w, be, MapOffset(moves, s.offset));
  }
}

// Runs of whole zero blocks become holes.
ImageBytes Sparse(std::vector<uint8_t> flat) {
  constexpr uint64_t kBlock = 4096;
  ImageBytes image;
  image.file_size = flat.size();
  uint64_t start = 0;
  bool in_extent = false;
  for (uint64_t at = 0; at < flat.size(); at += kBlock) {
    const uint64_t n = std::min<uint64_t>(kBlock, flat.size() - at);
    const bool zero = std::all_of(flat.begin() + at, flat.begin() + at + n,
                                  [](uint8_t b) { return b == 0; });
    if (!zero && !in_extent) start = at, in_extent = true;
    if (zero && in_extent) {
      image.extents.push_back(
          {start, std::vector<uint8_t>(flat.begin() + start, flat.begin() + at)});
      in_extent = false;
    }
  }
  if (in_extent) {
    image.extents.push_back(
        {start, std::vector<uint8_t>(flat.begin() + start, flat.end())});
  }
  return image;
}

uint64_t Mix(uint64_t h) {  // The splitmix64 finalizer.
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  return h ^ (h >> 31);
}

uint64_t Rotate(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

}  // namespace

absl::StatusOr<ImageBytes> RelayOutImage(const ElfImage& elf,
                                         absl::Span<const uint8_t> bytes,
                                         uint64_t unit) {
  if (bytes.size() != elf.file_size) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: %u bytes given for a file of %u", elf.path, bytes.size(),
        elf.file_size));
  }
  if (unit == 0 || (unit & (unit - 1)) != 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: unit %u is not a power of two", elf.path, unit));
  }
  std::vector<uint64_t> load_to(elf.segments.size(), 0);
  GRANULE_ASSIGN_OR_RETURN(std::vector<Move> moves,
                           PlanMoves(elf, unit, load_to));
  uint64_t size = 0;
  for (const Move& m : moves) size = std::max(size, m.to + m.length);
  if (!elf.variant.is64 && size > UINT32_MAX) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "%s: re-laid out for %s units the file would be %u bytes, more than "
        "ELF32 offsets reach",
        elf.path, FormatBytes(unit), size));
  }
  std::vector<uint8_t> flat(size, 0);
  for (const Move& m : moves) {
    std::memcpy(flat.data() + m.to, bytes.data() + m.from, m.length);
  }
  PatchHeaders(elf, moves, load_to, unit, flat, bytes);
  return Sparse(std::move(flat));
}

std::array<uint64_t, 2> ContentHash(absl::Span<const uint8_t> bytes) {
  uint64_t a = 0x9e3779b97f4a7c15ULL ^ bytes.size();
  uint64_t b = 0xc2b2ae3d27d4eb4fULL + bytes.size();
  size_t i = 0;
  for (; i + 8 <= bytes.size(); i += 8) {
    const uint64_t word = LoadUnsigned(&bytes[i], 8, false);
    a = Rotate(a ^ (word * 0x87c37b91114253d5ULL), 31) * 0x4cf5ad432745937fULL;
    b = Rotate(b + word, 27) * 0x52dce729ULL + (a >> 17);
  }
  uint64_t tail = 0;
  for (size_t k = 0; i + k < bytes.size(); ++k) {
    tail |= uint64_t{bytes[i + k]} << (8 * k);
  }
  return {Mix(a ^ tail), Mix(b + Mix(tail) + a)};
}

}  // namespace granule
