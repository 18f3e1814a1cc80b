// SPDX-License-Identifier: Apache-2.0
#include "loader/elf/image_contract.h"

#include <optional>

#include "platform/checked.h"
#include "loader/elf/image_error.h"
#include "platform/page_geometry.h"

namespace granule::internal {
namespace {

// The PT_LOAD whose file bytes hold [vaddr, vaddr + size), if any.
const Segment* LoadHoldingFileBytes(const ElfImage& image, uint64_t vaddr,
                                    uint64_t size) {
  for (const Segment* s : image.LoadSegments()) {
    if (checked::RangeInside(vaddr, size, s->vaddr, s->filesz)) return s;
  }
  return nullptr;
}

}  // namespace

absl::Status CheckLoadSegment(const ElfImage& image, const Segment& s) {
  const int i = s.index;
  if (s.filesz > s.memsz) {
    return InvalidImage(image,
                        "program header %d: p_filesz 0x%x exceeds p_memsz "
                        "0x%x",
                        i, s.filesz, s.memsz);
  }
  if (!checked::RangeWithin(s.offset, s.filesz, image.file_size)) {
    return InvalidImage(image,
                        "program header %d: p_offset 0x%x + p_filesz 0x%x "
                        "extends past the end of the file (size 0x%x)",
                        i, s.offset, s.filesz, image.file_size);
  }
  // ELF32 addresses are 32 bits: a sum that fits 64 bits can still wrap.
  const std::optional<uint64_t> end = checked::Add(s.vaddr, s.memsz);
  const int address_bits = image.variant.is64 ? 64 : 32;
  if (!end || (address_bits == 32 && *end > (uint64_t{1} << 32))) {
    return InvalidImage(image,
                        "program header %d: p_vaddr 0x%x + p_memsz 0x%x "
                        "overflows the %d-bit address space",
                        i, s.vaddr, s.memsz, address_bits);
  }
  if (s.align > 1 && !IsPowerOfTwo(s.align)) {
    return InvalidImage(image,
                        "program header %d: p_align 0x%x is not a power of "
                        "two",
                        i, s.align);
  }
  if (s.align > 1 && (s.vaddr - s.offset) % s.align != 0) {
    return InvalidImage(image,
                        "program header %d: p_vaddr 0x%x is not congruent "
                        "to p_offset 0x%x modulo p_align 0x%x",
                        i, s.vaddr, s.offset, s.align);
  }
  if (!(s.flags & elf::kPfR)) {
    return InvalidImage(image,
                        "program header %d: p_flags %s is not R, RW or RX", i,
                        s.FlagString());
  }
  if (s.writable() && s.executable()) {
    return InvalidImage(image,
                        "program header %d: p_flags RWX: writable and "
                        "executable together is refused",
                        i);
  }
  return absl::OkStatus();
}

// The loads, in order, must not overlap; the layout follows from them.
absl::Status CheckLoadOrder(ElfImage& image) {
  const LoadSegmentList loads = image.LoadSegments();
  if (loads.empty()) {
    return InvalidImage(image, "no PT_LOAD program header: nothing to load");
  }
  bool one_to_one = true;
  for (size_t k = 0; k < loads.size(); ++k) {
    if (loads[k]->offset != loads[k]->vaddr) one_to_one = false;
    if (k == 0) continue;
    const Segment& prev = *loads[k - 1];
    if (loads[k]->vaddr < prev.vaddr_end()) {
      return InvalidImage(
          image,
          "program header %d: p_vaddr 0x%x is below the end "
          "0x%x of the PT_LOAD before it (loads must be sorted and "
          "must not overlap)",
          loads[k]->index, loads[k]->vaddr, prev.vaddr_end());
    }
  }
  image.layout = one_to_one ? Layout::kOneToOne : Layout::kCompact;
  return absl::OkStatus();
}

absl::Status CheckSpecialSegment(const ElfImage& image, const Segment& s) {
  if (s.type == elf::kPtDynamic) {
    if (image.FindSegment(elf::kPtDynamic) != &s) {
      return InvalidImage(image, "program header %d: a second PT_DYNAMIC",
                          s.index);
    }
    const Segment* load = LoadHoldingFileBytes(image, s.vaddr, s.filesz);
    if (load == nullptr || s.offset != load->offset + (s.vaddr - load->vaddr)) {
      return InvalidImage(
          image,
          "program header %d: PT_DYNAMIC at p_vaddr 0x%x "
          "(p_offset 0x%x, size 0x%x) is not inside the file bytes "
          "of a PT_LOAD",
          s.index, s.vaddr, s.offset, s.filesz);
    }
  }
  if (s.type == elf::kPtGnuRelro) {
    bool inside = false;
    for (const Segment* load : image.LoadSegments()) {
      inside |=
          load->writable() &&
          checked::RangeInside(s.vaddr, s.memsz, load->vaddr, load->memsz);
    }
    if (!inside) {
      return InvalidImage(image,
                          "program header %d: PT_GNU_RELRO at p_vaddr 0x%x "
                          "(size 0x%x) is not inside a writable PT_LOAD",
                          s.index, s.vaddr, s.memsz);
    }
  }
  return absl::OkStatus();
}

}  // namespace granule::internal
