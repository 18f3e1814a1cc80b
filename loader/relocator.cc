// SPDX-License-Identifier: Apache-2.0
#include "loader/relocator.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "loader/checked.h"
#include "loader/fast_relocation.h"
#include "loader/image_error.h"
#include "loader/relocation_types.h"
#include "loader/word_codec.h"

namespace granule {
namespace {

struct TableTags {
  const char* name;  // "DT_RELA"
  int64_t address, size, entry_size;
};
constexpr TableTags kRela = {"DT_RELA", elf::kDtRela, elf::kDtRelasz,
                             elf::kDtRelaent};
constexpr TableTags kRel = {"DT_REL", elf::kDtRel, elf::kDtRelsz,
                            elf::kDtRelent};
constexpr TableTags kRelr = {"DT_RELR", elf::kDtRelr, elf::kDtRelrsz,
                             elf::kDtRelrent};

class Relocator {
 public:
  Relocator(const ImageMemory& memory, uint64_t base)
      : memory_(memory),
        image_(memory.image()),
        variant_(image_.variant),
        word_(variant_.word_size()),
        base_(base) {}
  // A dry run: tables come from `file`, places are checked, not written.
  Relocator(const ImageMemory& memory, const File& file)
      : Relocator(memory, 0) {
    file_ = &file;
  }

  absl::StatusOr<size_t> Run() {
    for (const TableTags* tags : {&kRela, &kRel, &kRelr}) {
      absl::Status s = tags == &kRelr ? ApplyRelr() : ApplyRel(*tags);
      if (!s.ok()) return s;
    }
    return applied_;
  }

 private:
  // The table's bytes; empty when the image has none.
  absl::StatusOr<absl::Span<const uint8_t>> Table(const TableTags& tags,
                                                  uint64_t entry_size) {
    zero_tail_ = 0;
    const std::optional<uint64_t> address = image_.DynamicValue(tags.address);
    const std::optional<uint64_t> size = image_.DynamicValue(tags.size);
    const std::optional<uint64_t> entry = image_.DynamicValue(tags.entry_size);
    if (!address && !size) return absl::Span<const uint8_t>();
    if (!address || !size) {
      return InvalidImage(image_, "%s and %sSZ must come together", tags.name,
                          tags.name);
    }
    if (entry && *entry != entry_size) {
      return InvalidImage(image_, "%sENT %d is not %d for %s", tags.name,
                          *entry, entry_size, variant_.ToString());
    }
    if (*size % entry_size != 0) {
      return InvalidImage(image_,
                          "%sSZ 0x%x is not a multiple of the entry size "
                          "%d",
                          tags.name, *size, entry_size);
    }
    const std::string what = absl::StrCat(tags.name, " table");
    if (file_ != nullptr) return TableFromFile(*address, *size, what);
    absl::StatusOr<uint8_t*> bytes =
        memory_.At(*address, *size, /*writable=*/false, what);
    if (!bytes.ok()) return bytes.status();
    return absl::Span<const uint8_t>(*bytes, *size);
  }

  // The table's file bytes. Past its segment's p_filesz the table is zeros,
  // counted in zero_tail_ rather than read: p_memsz may be far larger than
  // the file.
  absl::StatusOr<absl::Span<const uint8_t>> TableFromFile(
      uint64_t address, uint64_t size, const std::string& what) {
    if (absl::Status s = memory_.Check(address, size, false, what); !s.ok()) {
      return s;
    }
    for (const Segment* s : image_.LoadSegments()) {
      if (!checked::RangeInside(address, size, s->vaddr, s->memsz)) continue;
      const uint64_t into = address - s->vaddr;
      const uint64_t in_file = into < s->filesz ? s->filesz - into : 0;
      table_.resize(std::min(size, in_file));
      zero_tail_ = size - table_.size();
      if (absl::Status r =
              file_->ReadAt(s->offset + into, absl::MakeSpan(table_));
          !r.ok()) {
        return r;
      }
      break;
    }
    return absl::Span<const uint8_t>(table_);
  }

  uint64_t Load(const uint8_t* p) const {
    return LoadUnsigned(p, word_, variant_.big_endian);
  }

  absl::Status Store(uint8_t* place, uint64_t addend, uint64_t offset,
                     const std::string& what) {
    const uint64_t value = base_ + addend;  // Wraps like the hardware would.
    if (!variant_.is64 && value > 0xffffffffu && file_ == nullptr) {
      return InvalidImage(image_,
                          "%s at r_offset 0x%x: relocated value 0x%x does "
                          "not fit an ELF32 word (relocation base 0x%x)",
                          what, offset, value, base_);
    }
    StoreUnsigned(place, word_, variant_.big_endian, value);
    ++applied_;
    return absl::OkStatus();
  }

  absl::StatusOr<uint8_t*> Place(uint64_t offset, const std::string& what) {
    absl::StatusOr<const Segment*> segment =
        memory_.Holding(offset, word_, /*writable=*/true, what);
    if (!segment.ok()) return segment.status();
    last_segment_ = *segment;
    // A dry run reads and writes a word of its own.
    return file_ == nullptr ? memory_.PointerInside(offset) : scratch_;
  }

  // Points the fast path at the writable segment of the last place
  // checked: a place inside it passes Place()'s check, since PT_LOADs do not
  // overlap (CheckLoadOrder). A dry run always takes the full path.
  template <typename Codec>
  void UpdateWindow(internal::FastRelocation<Codec>& fast) const {
    if (file_ != nullptr || last_segment_ == nullptr) return;
    fast.SetWindow(last_segment_->vaddr, last_segment_->memsz,
                   memory_.PointerInside(last_segment_->vaddr));
  }

  // Runs `loop(fast)` and counts what the fast path applied.
  template <typename Codec, typename Loop>
  absl::Status WithFastPath(const Loop& loop) {
    internal::FastRelocation<Codec> fast(base_);
    UpdateWindow(fast);
    absl::Status s = loop(fast);
    applied_ += fast.applied();
    return s;
  }

  absl::Status ApplyRel(const TableTags& tags) {
    const bool rela = &tags == &kRela;
    const elf::ClassSizes& sizes = variant_.sizes();
    const uint64_t entry_size = rela ? sizes.rela : sizes.rel;
    absl::StatusOr<absl::Span<const uint8_t>> table = Table(tags, entry_size);
    if (!table.ok()) return table.status();
    if (table->empty()) return absl::OkStatus();
    return WithWordCodec(variant_, [&](auto codec) {
      return ApplyRelTable<decltype(codec)>(tags, *table, entry_size);
    });
  }

  template <typename Codec>
  absl::Status ApplyRelTable(const TableTags& tags,
                             absl::Span<const uint8_t> table,
                             uint64_t entry_size) {
    return WithFastPath<Codec>([&](internal::FastRelocation<Codec>& fast) {
      return ApplyRelEntries(tags, table, entry_size, fast);
    });
  }

  template <typename Codec>
  absl::Status ApplyRelEntries(const TableTags& tags,
                               absl::Span<const uint8_t> table,
                               uint64_t entry_size,
                               internal::FastRelocation<Codec>& fast) {
    const bool rela = &tags == &kRela;
    const std::optional<uint32_t> relative =
        RelativeRelocationType(image_.machine);
    const std::optional<uint64_t> relative_info = RelativeInfo(relative);
    for (size_t i = 0; i * entry_size < table.size(); ++i) {
      const uint8_t* entry = table.data() + i * entry_size;
      if (relative_info &&
          ApplyRelEntryFast(entry, rela, *relative_info, fast)) {
        continue;
      }
      // Naming the entry is only for errors: a StrFormat for every entry
      // cost more than applying it (relocation_bench). An entry that fails is
      // applied again with its name, which fails the same way before any
      // write (Place checks, Store checks before it stores).
      absl::Status s = ApplyRelEntry(entry, rela, relative, Unnamed());
      UpdateWindow(fast);
      if (!s.ok()) {
        return ApplyRelEntry(entry, rela, relative,
                             absl::StrFormat("%s entry %d", tags.name, i));
      }
    }
    return absl::OkStatus();
  }

  // r_info of a relative relocation with symbol 0, when r_info can say it:
  // ELF32's r_info keeps only 8 bits of type.
  std::optional<uint64_t> RelativeInfo(std::optional<uint32_t> relative) {
    if (!relative || (!variant_.is64 && *relative > 0xff)) return std::nullopt;
    return *relative;
  }

  // ApplyRelEntry for a relative entry whose place is in the last place's
  // segment; false, having written nothing, for anything else.
  template <typename Codec>
  static bool ApplyRelEntryFast(const uint8_t* entry, bool rela,
                                uint64_t relative_info,
                                internal::FastRelocation<Codec>& fast) {
    constexpr int kWord = Codec::kSize;
    if (Codec::Read(entry + kWord) != relative_info) return false;
    uint8_t* place = fast.Find(Codec::Read(entry));
    if (place == nullptr) return false;
    const uint64_t addend =
        rela ? SignExtend(Codec::Read(entry + 2 * kWord), kWord)
             : Codec::Read(place);
    return fast.Store(place, addend);
  }

  absl::Status ApplyRelEntry(const uint8_t* entry, bool rela,
                             std::optional<uint32_t> relative,
                             const std::string& what) {
    const uint64_t offset = Load(entry);
    const uint64_t info = Load(entry + word_);
    const uint64_t type = variant_.is64 ? info & 0xffffffff : info & 0xff;
    const uint64_t symbol = variant_.is64 ? info >> 32 : info >> 8;
    if (type == 0) return absl::OkStatus();  // R_*_NONE.
    if (!relative || type != *relative || symbol != 0) {
      return InvalidImage(image_,
                          "%s: type %d, symbol %d at r_offset 0x%x is "
                          "not a relative relocation for %s (granule applies "
                          "only relative ones)",
                          what, type, symbol, offset,
                          MachineName(image_.machine));
    }
    absl::StatusOr<uint8_t*> place = Place(offset, what);
    if (!place.ok()) return place.status();
    const uint64_t addend =
        rela ? SignExtend(Load(entry + 2 * word_), word_) : Load(*place);
    return Store(*place, addend, offset, what);
  }

  static const std::string& Unnamed() {
    static const std::string* const unnamed = new std::string;
    return *unnamed;
  }

  // RELR: an even word is an address to relocate; an odd word is a bitmap
  // of the word_*8 - 1 words that follow the last address.
  absl::Status ApplyRelr() {
    absl::StatusOr<absl::Span<const uint8_t>> table = Table(kRelr, word_);
    if (!table.ok()) return table.status();
    if (absl::Status s =
            WithWordCodec(variant_,
                          [&](auto codec) {
                            return ApplyRelrTable<decltype(codec)>(*table);
                          });
        !s.ok()) {
      return s;
    }
    if (zero_tail_ > 0) {  // Zero words: addresses 0, in a dry run only.
      const size_t i = table->size() / word_;
      return RelocateImplicit(
          0, [i] { return absl::StrFormat("DT_RELR entry %d", i); });
    }
    return absl::OkStatus();
  }

  template <typename Codec>
  absl::Status ApplyRelrTable(absl::Span<const uint8_t> table) {
    return WithFastPath<Codec>([&](internal::FastRelocation<Codec>& fast) {
      return ApplyRelrEntries(table, fast);
    });
  }

  template <typename Codec>
  absl::Status ApplyRelrEntries(absl::Span<const uint8_t> table,
                                internal::FastRelocation<Codec>& fast) {
    constexpr uint64_t kWord = Codec::kSize;
    constexpr uint64_t kBits = 8 * kWord - 1;
    std::optional<uint64_t> next;
    for (size_t i = 0; i * kWord < table.size(); ++i) {
      const uint64_t entry = Codec::Read(table.data() + i * kWord);
      // Named only for errors, as in ApplyRel.
      const auto name = [i] { return absl::StrFormat("DT_RELR entry %d", i); };
      if ((entry & 1) == 0) {
        if (!fast.RelocateImplicit(entry)) {
          if (absl::Status s = RelocateImplicit(entry, name); !s.ok()) {
            return s;
          }
          UpdateWindow(fast);
        }
        next = entry + kWord;
        continue;
      }
      if (!next) {
        return InvalidImage(image_, "%s: a bitmap 0x%x before any address",
                            name(), entry);
      }
      // Set bits only, lowest first, as a loop over every bit would.
      for (uint64_t map = entry >> 1; map != 0; map &= map - 1) {
        const uint64_t bit = __builtin_ctzll(map);
        const std::optional<uint64_t> offset = checked::Add(*next, bit * kWord);
        if (!offset) {
          return InvalidImage(image_, "%s: address overflows", name());
        }
        if (fast.RelocateImplicit(*offset)) continue;
        if (absl::Status s = RelocateImplicit(*offset, name); !s.ok()) {
          return s;
        }
        UpdateWindow(fast);
      }
      next = checked::Add(*next, kBits * kWord);
      if (!next) return InvalidImage(image_, "%s: address overflows", name());
    }
    return absl::OkStatus();
  }

  // Applied unnamed; an error is produced again with the entry's name.
  template <typename NameFn>
  absl::Status RelocateImplicit(uint64_t offset, const NameFn& name) {
    absl::Status s = RelocateImplicitNamed(offset, Unnamed());
    return s.ok() ? s : RelocateImplicitNamed(offset, name());
  }

  absl::Status RelocateImplicitNamed(uint64_t offset, const std::string& what) {
    absl::StatusOr<uint8_t*> place = Place(offset, what);
    if (!place.ok()) return place.status();
    return Store(*place, Load(*place), offset, what);
  }

  const ImageMemory& memory_;
  const ElfImage& image_;
  const ElfVariant variant_;
  const int word_;
  const uint64_t base_;
  size_t applied_ = 0;
  const File* file_ = nullptr;  // Set for a dry run.
  std::vector<uint8_t> table_;  // A dry run's table, read from file_.
  uint64_t zero_tail_ = 0;      // Bytes of the table past the file's.
  uint8_t scratch_[8] = {};
  const Segment* last_segment_ = nullptr;  // Holding the last place checked.
};

}  // namespace

absl::StatusOr<const Segment*> ImageMemory::Holding(
    uint64_t address, uint64_t size, bool writable,
    const std::string& what) const {
  for (const Segment* s : loads_) {
    if (!checked::RangeInside(address, size, s->vaddr, s->memsz)) continue;
    if (writable && !s->writable()) {
      return InvalidImage(image_,
                          "%s at 0x%x (%d bytes) is in program header %d, "
                          "which is %s, not writable",
                          what, address, size, s->index, s->FlagString());
    }
    return s;
  }
  return InvalidImage(image_,
                      "%s at 0x%x (%d bytes) is not inside any PT_LOAD "
                      "segment",
                      what, address, size);
}

absl::Status ImageMemory::Check(uint64_t address, uint64_t size, bool writable,
                                const std::string& what) const {
  return Holding(address, size, writable, what).status();
}

absl::StatusOr<uint8_t*> ImageMemory::At(uint64_t address, uint64_t size,
                                         bool writable,
                                         const std::string& what) const {
  absl::StatusOr<const Segment*> segment =
      Holding(address, size, writable, what);
  if (!segment.ok()) return segment.status();
  return PointerInside(address);
}

absl::StatusOr<size_t> ApplyRelocations(const ImageMemory& memory,
                                        uint64_t relocation_base) {
  return Relocator(memory, relocation_base).Run();
}

absl::Status CheckRelocations(const File& file, const ElfImage& image) {
  const ImageMemory no_memory(image, nullptr, 0);  // Only Check() is used.
  return Relocator(no_memory, file).Run().status();
}

}  // namespace granule
