#include "loader/relocator.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "loader/checked.h"
#include "loader/image_error.h"
#include "loader/relocation_types.h"

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
    absl::StatusOr<uint8_t*> bytes = memory_.At(
        *address, *size, /*writable=*/false, absl::StrCat(tags.name, " table"));
    if (!bytes.ok()) return bytes.status();
    return absl::Span<const uint8_t>(*bytes, *size);
  }

  uint64_t Load(const uint8_t* p) const {
    return LoadUnsigned(p, word_, variant_.big_endian);
  }

  absl::Status Store(uint8_t* place, uint64_t addend, uint64_t offset,
                     const std::string& what) {
    const uint64_t value = base_ + addend;  // Wraps like the hardware would.
    if (!variant_.is64 && value > 0xffffffffu) {
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
    return memory_.At(offset, word_, /*writable=*/true, what);
  }

  absl::Status ApplyRel(const TableTags& tags) {
    const bool rela = &tags == &kRela;
    const elf::ClassSizes& sizes = variant_.sizes();
    const uint64_t entry_size = rela ? sizes.rela : sizes.rel;
    absl::StatusOr<absl::Span<const uint8_t>> table = Table(tags, entry_size);
    if (!table.ok()) return table.status();
    if (table->empty()) return absl::OkStatus();
    const std::optional<uint32_t> relative =
        RelativeRelocationType(image_.machine);
    for (size_t i = 0; i * entry_size < table->size(); ++i) {
      const uint8_t* entry = table->data() + i * entry_size;
      const uint64_t offset = Load(entry);
      const uint64_t info = Load(entry + word_);
      const uint64_t type = variant_.is64 ? info & 0xffffffff : info & 0xff;
      const uint64_t symbol = variant_.is64 ? info >> 32 : info >> 8;
      const std::string what = absl::StrFormat("%s entry %d", tags.name, i);
      if (type == 0) continue;  // R_*_NONE.
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
      if (absl::Status s = Store(*place, addend, offset, what); !s.ok()) {
        return s;
      }
    }
    return absl::OkStatus();
  }

  // RELR: an even word is an address to relocate; an odd word is a bitmap
  // of the word_*8 - 1 words that follow the last address.
  absl::Status ApplyRelr() {
    absl::StatusOr<absl::Span<const uint8_t>> table = Table(kRelr, word_);
    if (!table.ok()) return table.status();
    const uint64_t bits = 8 * word_ - 1;
    std::optional<uint64_t> next;
    for (size_t i = 0; i * word_ < table->size(); ++i) {
      const uint64_t entry = Load(table->data() + i * word_);
      const std::string what = absl::StrFormat("DT_RELR entry %d", i);
      if ((entry & 1) == 0) {
        if (absl::Status s = RelocateImplicit(entry, what); !s.ok()) return s;
        next = entry + word_;
        continue;
      }
      if (!next) {
        return InvalidImage(image_, "%s: a bitmap 0x%x before any address",
                            what, entry);
      }
      for (uint64_t bit = 0; bit < bits; ++bit) {
        if (((entry >> (bit + 1)) & 1) == 0) continue;
        const std::optional<uint64_t> offset = checked::Add(*next, bit * word_);
        if (!offset) return InvalidImage(image_, "%s: address overflows", what);
        if (absl::Status s = RelocateImplicit(*offset, what); !s.ok()) {
          return s;
        }
      }
      next = checked::Add(*next, bits * word_);
      if (!next) return InvalidImage(image_, "%s: address overflows", what);
    }
    return absl::OkStatus();
  }

  absl::Status RelocateImplicit(uint64_t offset, const std::string& what) {
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
};

}  // namespace

absl::StatusOr<uint8_t*> ImageMemory::At(uint64_t address, uint64_t size,
                                         bool writable,
                                         const std::string& what) const {
  for (const Segment* s : loads_) {
    if (!checked::RangeInside(address, size, s->vaddr, s->memsz)) continue;
    if (writable && !s->writable()) {
      return InvalidImage(image_,
                          "%s at 0x%x (%d bytes) is in program header %d, "
                          "which is %s, not writable",
                          what, address, size, s->index, s->FlagString());
    }
    return data_ + (address - load_start_);
  }
  return InvalidImage(image_,
                      "%s at 0x%x (%d bytes) is not inside any PT_LOAD "
                      "segment",
                      what, address, size);
}

absl::StatusOr<size_t> ApplyRelocations(const ImageMemory& memory,
                                        uint64_t relocation_base) {
  return Relocator(memory, relocation_base).Run();
}

}  // namespace granule
