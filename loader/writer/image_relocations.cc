// SPDX-License-Identifier: Apache-2.0
#include "loader/writer/image_relocations.h"

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_format.h"
#include "loader/elf/relocation_types.h"
#include "platform/status_macros.h"

namespace granule::image_relocations {
namespace {

using image_layout::ImageLayout;
using image_layout::PlacedSection;

absl::Status Invalid(int index, const std::string& message) {
  return absl::InvalidArgumentError(
      absl::StrFormat("relocation %d: %s", index, message));
}

std::vector<uint64_t> SortedPlaces(
    const std::vector<ResolvedRelocation>& relocations) {
  std::vector<uint64_t> places;
  places.reserve(relocations.size());
  for (const ResolvedRelocation& r : relocations) places.push_back(r.place);
  std::sort(places.begin(), places.end());
  return places;
}

// Checks the place of relocation `index` in spec section `section`.
absl::Status CheckPlace(const ImageSpec& spec, int index, int section,
                        const PlacedSection& placed) {
  const SectionRef& place = spec.relocations[index].place;
  const SectionSpec& s = spec.sections[section];
  const uint64_t word = spec.variant.word_size();
  if (s.access != SectionAccess::kReadWrite) {
    return Invalid(
        index, absl::StrFormat("place section '%s' is %s; places must be in RW "
                               "sections",
                               s.name, image_layout::AccessName(s.access)));
  }
  if (s.zero_size > 0) {
    return Invalid(index,
                   absl::StrFormat("place section '%s' is NOBITS; places need "
                                   "file bytes to hold the word",
                                   s.name));
  }
  // Segments start word-aligned, so this does not depend on the layout.
  // Checked first: a misaligned place near the end also runs past it, and
  // the alignment is the mistake to name.
  if ((placed.vaddr + place.offset) % word != 0) {
    return Invalid(index, absl::StrFormat("place '%s'+%#x (address %#x) is not "
                                          "word-aligned (words are %d bytes)",
                                          s.name, place.offset,
                                          placed.vaddr + place.offset, word));
  }
  if (place.offset > s.bytes.size() || word > s.bytes.size() - place.offset) {
    return Invalid(index,
                   absl::StrFormat("the %d-byte word at offset %#x runs past "
                                   "the end of '%s' (%u bytes)",
                                   word, place.offset, s.name, s.bytes.size()));
  }
  return absl::OkStatus();
}

absl::Status CheckDistinct(const ImageSpec& spec,
                           const std::vector<ResolvedRelocation>& relocations) {
  std::vector<std::pair<uint64_t, int>> by_place;
  for (size_t i = 0; i < relocations.size(); ++i) {
    by_place.emplace_back(relocations[i].place, static_cast<int>(i));
  }
  std::sort(by_place.begin(), by_place.end());
  for (size_t i = 1; i < by_place.size(); ++i) {
    if (by_place[i].first == by_place[i - 1].first) {
      const SectionRef& place = spec.relocations[by_place[i].second].place;
      return Invalid(
          by_place[i].second,
          absl::StrFormat("place '%s'+%#x is also the place of "
                          "relocation %d",
                          place.section, place.offset, by_place[i - 1].second));
    }
  }
  return absl::OkStatus();
}

void Put(std::vector<uint8_t>& out, const ImageSpec& spec, uint64_t value) {
  const int word = spec.variant.word_size();
  out.resize(out.size() + word);
  StoreUnsigned(&out[out.size() - word], word, spec.variant.big_endian, value);
}

}  // namespace

image_layout::GeneratedSections TableShape(const ImageSpec& spec) {
  const elf::ClassSizes& sizes = spec.variant.sizes();
  const uint64_t count = spec.relocations.size();
  image_layout::GeneratedSections shape;
  // The entries DT_REL*/DT_REL*SZ/DT_REL*ENT, the spec's, the five of the
  // symbol table (DT_HASH, DT_STRTAB, DT_SYMTAB, DT_STRSZ, DT_SYMENT),
  // DT_NULL.
  shape.dynamic_count = (count > 0 ? 3 : 0) + spec.dynamic.size() + 5 + 1;
  if (count == 0) return shape;
  switch (spec.relocation_format) {
    case RelocationFormat::kRela:
      shape = {".rela.dyn", elf::kShtRela, uint64_t(sizes.rela),
               count * sizes.rela, shape.dynamic_count};
      break;
    case RelocationFormat::kRel:
      shape = {".rel.dyn", elf::kShtRel, uint64_t(sizes.rel), count * sizes.rel,
               shape.dynamic_count};
      break;
    case RelocationFormat::kRelr:
      shape = {".relr.dyn", elf::kShtRelr, uint64_t(sizes.word), 0,
               shape.dynamic_count};
      break;
  }
  return shape;
}

absl::StatusOr<uint32_t> RelativeType(const ImageSpec& spec) {
  const std::optional<uint32_t> type = RelativeRelocationType(spec.machine);
  if (!type.has_value()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%d relocations, but granule knows no relative relocation type for "
        "%s (e_machine %d)",
        spec.relocations.size(), MachineName(spec.machine), spec.machine));
  }
  // ELF32's r_info keeps the type in 8 bits (ELF64's in 32).
  if (!spec.variant.is64 && *type > 0xff) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "the relative relocation type %d of %s does not fit ELF32's 8-bit "
        "r_info type",
        *type, MachineName(spec.machine)));
  }
  return *type;
}

absl::StatusOr<std::vector<ResolvedRelocation>> ResolveRelocations(
    const ImageSpec& spec, const ImageLayout& layout) {
  std::map<std::string, int> by_name;
  for (size_t i = 0; i < spec.sections.size(); ++i) {
    by_name.emplace(spec.sections[i].name, static_cast<int>(i));
  }
  std::vector<ResolvedRelocation> resolved;
  resolved.reserve(spec.relocations.size());
  for (size_t i = 0; i < spec.relocations.size(); ++i) {
    const int index = static_cast<int>(i);
    const RelocationSpec& r = spec.relocations[i];
    auto place = by_name.find(r.place.section);
    if (place == by_name.end()) {
      return Invalid(index, absl::StrFormat("no place section named '%s'",
                                            r.place.section));
    }
    const PlacedSection& place_section = layout.sections[place->second];
    GRANULE_RETURN_IF_ERROR(
        CheckPlace(spec, index, place->second, place_section));
    auto target = by_name.find(r.target.section);
    if (target == by_name.end()) {
      return Invalid(index, absl::StrFormat("no target section named '%s'",
                                            r.target.section));
    }
    const PlacedSection& target_section = layout.sections[target->second];
    if (r.target.offset > target_section.size) {
      return Invalid(index,
                     absl::StrFormat("target offset %#x is past the end of "
                                     "'%s' (%u bytes)",
                                     r.target.offset, target_section.name,
                                     target_section.size));
    }
    const uint64_t value = target_section.vaddr + r.target.offset;
    if (!spec.variant.is64 && value > UINT32_MAX) {
      return Invalid(index, absl::StrFormat("target address %#x does not fit "
                                            "an ELF32 word",
                                            value));
    }
    resolved.push_back({place->second, r.place.offset,
                        place_section.vaddr + r.place.offset, value});
  }
  GRANULE_RETURN_IF_ERROR(CheckDistinct(spec, resolved));
  return resolved;
}

std::vector<uint64_t> EncodeRelr(const std::vector<uint64_t>& sorted_places,
                                 int word_size) {
  const uint64_t word = word_size;
  const uint64_t bits = word * 8 - 1;  // The low bit marks a bitmap.
  std::vector<uint64_t> words;
  size_t i = 0;
  while (i < sorted_places.size()) {
    words.push_back(sorted_places[i]);
    uint64_t base = sorted_places[i] + word;  // The word after the address.
    ++i;
    for (;;) {
      uint64_t bitmap = 0;
      while (i < sorted_places.size()) {
        const uint64_t delta = sorted_places[i] - base;
        if (delta >= bits * word) break;
        bitmap |= uint64_t{1} << (delta / word);
        ++i;
      }
      if (bitmap == 0) break;  // The next place needs an address entry.
      words.push_back((bitmap << 1) | 1);
      base += bits * word;
    }
  }
  return words;
}

uint64_t RelrSize(const std::vector<ResolvedRelocation>& relocations,
                  int word_size) {
  return EncodeRelr(SortedPlaces(relocations), word_size).size() * word_size;
}

std::vector<uint8_t> EncodeTable(
    const ImageSpec& spec, uint32_t relative_type,
    const std::vector<ResolvedRelocation>& relocations) {
  std::vector<uint8_t> out;
  if (spec.relocation_format == RelocationFormat::kRelr) {
    for (uint64_t word :
         EncodeRelr(SortedPlaces(relocations), spec.variant.word_size())) {
      Put(out, spec, word);
    }
    return out;
  }
  // Symbol 0: r_info is the type alone, whether the symbol index sits above
  // 8 bits (ELF32) or 32 (ELF64).
  const uint64_t info = relative_type;
  for (const ResolvedRelocation& r : relocations) {
    Put(out, spec, r.place);
    Put(out, spec, info);
    if (spec.relocation_format == RelocationFormat::kRela) {
      Put(out, spec, r.value);
    }
  }
  return out;
}

uint64_t PlaceWord(const ImageSpec& spec, const ResolvedRelocation& r) {
  return spec.relocation_format == RelocationFormat::kRela ? 0 : r.value;
}

}  // namespace granule::image_relocations
