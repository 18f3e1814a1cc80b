// SPDX-License-Identifier: Apache-2.0
// One walk over a relocation table serves a load and `granule check`: the
// table is a parameter (in memory or read from the file), and what happens
// at a place is the action's (written, or only checked). Each entry takes
// the same path: the checks that decide whether it applies are the ones
// that apply it, and an entry is named only in the error it fails with.
#include "loader/relocator.h"

#include <optional>

#include "absl/base/attributes.h"
#include "absl/strings/str_format.h"
#include "loader/elf/image_error.h"
#include "loader/elf/relocation_types.h"
#include "loader/relocation_pages.h"
#include "loader/relocation_tables.h"
#include "loader/word_codec.h"
#include "platform/checked.h"
#include "platform/status_macros.h"

namespace granule {
namespace {

// The writable segment of the last place: the next place is tried against
// it first (tables are mostly sorted), and a place inside it needs no other
// check, since PT_LOADs do not overlap. Held in the walk's locals: a store
// through uint8_t* may alias any object in memory, which would make the
// compiler reload state kept there on every entry.
class Window {
 public:
  Window() = default;
  // `bytes`: where the segment's first byte is, or 0 when nothing is read.
  Window(const Segment& segment, int word, uintptr_t bytes)
      : start_(segment.vaddr), limit_(segment.memsz - word + 1),
        bytes_(bytes) {}

  // Whether the word at `address` lies inside; an empty window holds none.
  bool Holds(uint64_t address) const { return address - start_ < limit_; }
  uint8_t* At(uint64_t address) const {
    return reinterpret_cast<uint8_t*>(bytes_ + (address - start_));
  }

 private:
  uint64_t start_ = 0;
  uint64_t limit_ = 0;  // Offsets a whole word fits at; 0: none.
  uintptr_t bytes_ = 0;
};

// The writable segment holding the word at `address`, or the error naming
// the entry. Out of line: the walks call it only when a place leaves the
// last place's segment.
ABSL_ATTRIBUTE_NOINLINE absl::StatusOr<const Segment*> WritableSegment(const ImageMemory& memory,
                                               uint64_t address, int word,
                                               EntryRef entry) {
  const Segment* segment = memory.Containing(address, word);
  if (segment == nullptr || !segment->writable()) {
    return memory.RangeError(segment, address, word, entry.Name());
  }
  return segment;
}

// r_info of the machine's relative relocation with symbol 0, when r_info
// can say it: ELF32's r_info keeps only 8 bits of type.
struct RelativeInfo {
  bool exists = false;
  uint64_t info = 0;
};

RelativeInfo RelativeInfoOf(const ElfImage& image) {
  const std::optional<uint32_t> type = RelativeRelocationType(image.machine);
  if (!type || (!image.variant.is64 && *type > 0xff)) return {};
  return {true, *type};
}

// An entry that is not the relative relocation: nothing for R_*_NONE, else
// the error naming it.
ABSL_ATTRIBUTE_NOINLINE absl::Status NoneOrRefused(const ElfImage& image, uint64_t info,
                           uint64_t offset, EntryRef entry) {
  const bool is64 = image.variant.is64;
  const uint64_t type = is64 ? info & 0xffffffff : info & 0xff;
  const uint64_t symbol = is64 ? info >> 32 : info >> 8;
  if (type == 0) return absl::OkStatus();
  return InvalidImage(image,
                      "%s: type %d, symbol %d at r_offset 0x%x is not a "
                      "relative relocation for %s (granule applies only "
                      "relative ones)",
                      entry.Name(), type, symbol, offset,
                      MachineName(image.machine));
}

// A load: base + addend is written into the place.
template <typename Codec>
class Writes {
 public:
  Writes(const ImageMemory& memory, uint64_t base)
      : memory_(memory), base_(base) {}

  uintptr_t Bytes(const Segment& segment) const {
    return reinterpret_cast<uintptr_t>(memory_.PointerInside(segment.vaddr));
  }
  uint64_t ImplicitAddend(const uint8_t* place) const {
    return Codec::Read(place);
  }
  // False, having written nothing, when the value does not fit the word.
  bool Store(uint8_t* place, uint64_t addend) const {
    const uint64_t value = base_ + addend;  // Wraps like the hardware would.
    if (Codec::kSize == 4 && value > 0xffffffffu) return false;
    Codec::Write(place, value);
    return true;
  }
  absl::Status StoreError(EntryRef entry, uint64_t offset,
                          uint64_t addend) const {
    return InvalidImage(memory_.image(),
                        "%s at r_offset 0x%x: relocated value 0x%x does not "
                        "fit an ELF32 word (relocation base 0x%x)",
                        entry.Name(), offset, base_ + addend, base_);
  }

 private:
  const ImageMemory& memory_;
  const uint64_t base_;
};

// `granule check`: the image is not loaded, so places are checked and
// nothing is read or written; what depends on the base is left to the load.
template <typename Codec>
class ChecksOnly {
 public:
  uintptr_t Bytes(const Segment&) const { return 0; }
  uint64_t ImplicitAddend(const uint8_t*) const { return 0; }
  bool Store(uint8_t*, uint64_t) const { return true; }
  absl::Status StoreError(EntryRef, uint64_t, uint64_t) const {
    return absl::OkStatus();
  }
};

// Moves `window` to the segment of the word at `address` when it is not
// there already; false, with `error` set, when that word is no place.
template <typename Codec, typename Action>
inline bool Reach(const ImageMemory& memory, const Action& action,
                  uint64_t address, EntryRef entry, Window& window,
                  absl::Status& error) {
  if (window.Holds(address)) return true;
  absl::StatusOr<const Segment*> segment =
      WritableSegment(memory, address, Codec::kSize, entry);
  if (!segment.ok()) {
    error = segment.status();
    return false;
  }
  window = Window(**segment, Codec::kSize, action.Bytes(**segment));
  return true;
}

// DT_RELA and DT_REL: (r_offset, r_info[, r_addend]) entries.
template <typename Codec, typename Action>
absl::StatusOr<size_t> WalkRel(const ImageMemory& memory,
                               const RelocationTable& table,
                               const Action& action) {
  constexpr int kWord = Codec::kSize;
  const RelativeInfo relative = RelativeInfoOf(memory.image());
  const bool rela = table.kind() == TableKind::kRela;
  const uint64_t entry_size = table.entry_size();
  Window last_window;
  size_t applied = 0;
  GRANULE_RETURN_IF_ERROR(table.ForEachChunk(
      [&](absl::Span<const uint8_t> bytes, size_t first) -> absl::Status {
        // Kept in locals for the loop (see Window), stored back after.
        Window window = last_window;
        size_t n = 0;
        absl::Status error;
        for (size_t k = 0; k * entry_size < bytes.size(); ++k) {
          const uint8_t* entry = bytes.data() + k * entry_size;
          const uint64_t offset = Codec::Read(entry);
          const uint64_t info = Codec::Read(entry + kWord);
          if (info != relative.info || !relative.exists) {
            error = NoneOrRefused(memory.image(), info, offset,
                                  table.Entry(first + k));
            if (!error.ok()) return error;
            continue;
          }
          if (!Reach<Codec>(memory, action, offset, table.Entry(first + k),
                            window, error)) {
            return error;
          }
          uint8_t* place = window.At(offset);
          const uint64_t addend =
              rela ? SignExtend(Codec::Read(entry + 2 * kWord), kWord)
                   : action.ImplicitAddend(place);
          if (!action.Store(place, addend)) {
            return action.StoreError(table.Entry(first + k), offset, addend);
          }
          ++n;
        }
        last_window = window;
        applied += n;
        return absl::OkStatus();
      }));
  return applied;
}

// DT_RELR: an even word is an address to relocate; an odd word is a bitmap
// of the kWord * 8 - 1 words that follow the last address.
template <typename Codec, typename Action>
absl::StatusOr<size_t> WalkRelr(const ImageMemory& memory,
                                const RelocationTable& table,
                                const Action& action) {
  constexpr uint64_t kWord = Codec::kSize;
  constexpr uint64_t kBits = 8 * kWord - 1;
  Window last_window;
  size_t applied = 0;
  std::optional<uint64_t> last_next;
  // The word at `address` gets base + the word; false with `error` set.
  const auto relocate = [&](uint64_t address, size_t i, Window& window,
                            absl::Status& error) {
    if (!Reach<Codec>(memory, action, address, table.Entry(i), window,
                      error)) {
      return false;
    }
    uint8_t* place = window.At(address);
    const uint64_t addend = action.ImplicitAddend(place);
    if (!action.Store(place, addend)) {
      error = action.StoreError(table.Entry(i), address, addend);
      return false;
    }
    return true;
  };
  GRANULE_RETURN_IF_ERROR(table.ForEachChunk(
      [&](absl::Span<const uint8_t> bytes, size_t first) -> absl::Status {
        // Kept in locals for the loop (see Window), stored back after.
        Window window = last_window;
        std::optional<uint64_t> next = last_next;
        size_t n = 0;
        absl::Status error;
        for (size_t k = 0; k * kWord < bytes.size(); ++k) {
          const size_t i = first + k;
          const uint64_t entry = Codec::Read(bytes.data() + k * kWord);
          if ((entry & 1) == 0) {
            if (!relocate(entry, i, window, error)) return error;
            ++n;
            next = entry + kWord;
            continue;
          }
          if (!next) {
            return InvalidImage(memory.image(),
                                "%s: a bitmap 0x%x before any address",
                                table.Entry(i).Name(), entry);
          }
          // Set bits only, lowest first, as a loop over every bit would.
          for (uint64_t map = entry >> 1; map != 0; map &= map - 1) {
            const uint64_t bit = __builtin_ctzll(map);
            const std::optional<uint64_t> address =
                checked::Add(*next, bit * kWord);
            if (!address) {
              return InvalidImage(memory.image(), "%s: address overflows",
                                  table.Entry(i).Name());
            }
            if (!relocate(*address, i, window, error)) return error;
            ++n;
          }
          next = checked::Add(*next, kBits * kWord);
          if (!next) {
            return InvalidImage(memory.image(), "%s: address overflows",
                                table.Entry(i).Name());
          }
        }
        last_window = window;
        last_next = next;
        applied += n;
        return absl::OkStatus();
      }));
  // Zero words, in a table read from a file: addresses 0.
  absl::Status error;
  if (table.zero_tail() > 0 &&
      !relocate(0, table.size() / kWord, last_window, error)) {
    return error;
  }
  return applied + (table.zero_tail() > 0 ? 1 : 0);
}

// Walks `table` with the action make_action(codec) for the image's words.
template <typename MakeAction>
absl::StatusOr<size_t> Walk(const ImageMemory& memory,
                            const RelocationTable& table,
                            const MakeAction& make_action) {
  if (table.size() == 0 && table.zero_tail() == 0) return 0;
  return WithWordCodec(
      memory.image().variant,
      [&](auto codec) -> absl::StatusOr<size_t> {
        using Codec = decltype(codec);
        const auto action = make_action(codec);
        return table.kind() == TableKind::kRelr
                   ? WalkRelr<Codec>(memory, table, action)
                   : WalkRel<Codec>(memory, table, action);
      });
}

constexpr TableKind kTables[] = {TableKind::kRela, TableKind::kRel,
                                 TableKind::kRelr};

}  // namespace

const Segment* ImageMemory::Containing(uint64_t address, uint64_t size) const {
  for (const Segment* s : loads_) {
    if (checked::RangeInside(address, size, s->vaddr, s->memsz)) return s;
  }
  return nullptr;
}

absl::Status ImageMemory::RangeError(const Segment* segment, uint64_t address,
                                     uint64_t size,
                                     const std::string& what) const {
  if (segment == nullptr) {
    return InvalidImage(image_,
                        "%s at 0x%x (%d bytes) is not inside any PT_LOAD "
                        "segment",
                        what, address, size);
  }
  return InvalidImage(image_,
                      "%s at 0x%x (%d bytes) is in program header %d, which "
                      "is %s, not writable",
                      what, address, size, segment->index,
                      segment->FlagString());
}

absl::Status ImageMemory::Check(uint64_t address, uint64_t size, bool writable,
                                const std::string& what) const {
  const Segment* segment = Containing(address, size);
  if (segment == nullptr || (writable && !segment->writable())) {
    return RangeError(segment, address, size, what);
  }
  return absl::OkStatus();
}

absl::StatusOr<uint8_t*> ImageMemory::At(uint64_t address, uint64_t size,
                                         bool writable,
                                         const std::string& what) const {
  GRANULE_RETURN_IF_ERROR(Check(address, size, writable, what));
  return PointerInside(address);
}

absl::StatusOr<size_t> ApplyRelocations(const ImageMemory& memory,
                                        uint64_t relocation_base,
                                        const SharedLoadAids& aids) {
  if (!HasRelocationTables(memory.image())) return 0;
  size_t applied = 0;
  for (const TableKind kind : kTables) {
    GRANULE_ASSIGN_OR_RETURN(RelocationTable table,
                             RelocationTable::ForLoad(aids.mapped_file,
                                                      memory, kind));
    if (table.size() == 0) continue;
    if (aids.populate != nullptr) {
      GRANULE_RETURN_IF_ERROR(PopulatePlaces(memory, table, *aids.populate));
    }
    const auto writes = [&](auto codec) {
      return Writes<decltype(codec)>(memory, relocation_base);
    };
    GRANULE_ASSIGN_OR_RETURN(size_t n, Walk(memory, table, writes));
    applied += n;
  }
  return applied;
}

absl::Status CheckRelocations(const File& file, const ElfImage& image) {
  const ImageMemory no_memory(image, nullptr, 0);  // Only checks addresses.
  for (const TableKind kind : kTables) {
    GRANULE_ASSIGN_OR_RETURN(RelocationTable table,
                             RelocationTable::InFile(file, no_memory, kind));
    const auto checks = [](auto codec) {
      return ChecksOnly<decltype(codec)>();
    };
    GRANULE_RETURN_IF_ERROR(Walk(no_memory, table, checks).status());
  }
  return absl::OkStatus();
}

}  // namespace granule
