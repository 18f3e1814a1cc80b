// SPDX-License-Identifier: Apache-2.0
#include "testing/raw_elf.h"

#include <algorithm>

namespace granule::testing {
namespace {

class Encoder {
 public:
  Encoder(std::vector<uint8_t>& out, ElfVariant variant)
      : out_(out), variant_(variant) {}
  void At(uint64_t offset, int width, uint64_t value) {
    if (out_.size() < offset + width) out_.resize(offset + width);
    StoreUnsigned(out_.data() + offset, width, variant_.big_endian, value);
  }
  void Word(uint64_t offset, uint64_t value) {
    At(offset, variant_.word_size(), value);
  }

 private:
  std::vector<uint8_t>& out_;
  ElfVariant variant_;
};

void EncodeSegment(Encoder& e, uint64_t at, const Segment& s, bool is64) {
  e.At(at, 4, s.type);
  if (is64) {
    e.At(at + 4, 4, s.flags);
    e.At(at + 8, 8, s.offset);
    e.At(at + 16, 8, s.vaddr);
    e.At(at + 24, 8, s.vaddr);
    e.At(at + 32, 8, s.filesz);
    e.At(at + 40, 8, s.memsz);
    e.At(at + 48, 8, s.align);
  } else {
    e.At(at + 4, 4, s.offset);
    e.At(at + 8, 4, s.vaddr);
    e.At(at + 12, 4, s.vaddr);
    e.At(at + 16, 4, s.filesz);
    e.At(at + 20, 4, s.memsz);
    e.At(at + 24, 4, s.flags);
    e.At(at + 28, 4, s.align);
  }
}

void EncodeSection(Encoder& e, uint64_t at, const RawSection& s,
                   uint32_t name, bool is64) {
  const int w = is64 ? 8 : 4;
  e.At(at, 4, name);
  e.At(at + 4, 4, s.type);
  e.Word(at + 8, s.flags);
  e.Word(at + 8 + w, s.addr);
  e.Word(at + 8 + 2 * w, s.offset);
  e.Word(at + 8 + 3 * w, s.size);
  e.At(at + 8 + 4 * w + 8, w, s.align);  // After sh_link and sh_info.
}

}  // namespace

void RawElf::Put(uint64_t offset, const std::vector<uint8_t>& bytes) {
  if (body.size() < offset + bytes.size()) body.resize(offset + bytes.size());
  std::copy(bytes.begin(), bytes.end(), body.begin() + offset);
}

void RawElf::PutWord(uint64_t offset, uint64_t value) {
  Encoder(body, variant).Word(offset, value);
}

uint64_t RawElf::PutDynamic(uint64_t offset,
                            const std::vector<DynamicEntry>& entries) {
  Encoder e(body, variant);
  const int w = variant.word_size();
  uint64_t at = offset;
  for (const DynamicEntry& entry : entries) {
    e.Word(at, static_cast<uint64_t>(entry.tag));
    e.Word(at + w, entry.value);
    at += 2 * w;
  }
  e.Word(at, 0);
  e.Word(at + w, 0);
  return at + 2 * w - offset;
}

uint64_t RawElf::PutRela(uint64_t offset, const std::vector<uint64_t>& places,
                         uint32_t type, const std::vector<int64_t>& addends) {
  Encoder e(body, variant);
  const int w = variant.word_size();
  const uint64_t info = type;  // Symbol 0 in both classes.
  for (size_t i = 0; i < places.size(); ++i) {
    e.Word(offset + i * 3 * w, places[i]);
    e.Word(offset + i * 3 * w + w, info);
    e.Word(offset + i * 3 * w + 2 * w, static_cast<uint64_t>(addends[i]));
  }
  return places.size() * 3 * w;
}

uint64_t RawElf::PutRel(uint64_t offset, const std::vector<uint64_t>& places,
                        uint32_t type) {
  Encoder e(body, variant);
  const int w = variant.word_size();
  for (size_t i = 0; i < places.size(); ++i) {
    e.Word(offset + i * 2 * w, places[i]);
    e.Word(offset + i * 2 * w + w, type);
  }
  return places.size() * 2 * w;
}

std::vector<uint8_t> RawElf::Encode() const {
  const elf::ClassSizes& sizes = variant.sizes();
  std::vector<uint8_t> out = body;
  const uint64_t headers_end = phoff() + segments.size() * sizes.phdr;
  if (out.size() < headers_end) out.resize(headers_end);
  Encoder e(out, variant);

  // Section names, then the section header table, after the body.
  std::vector<uint8_t> names = {0};
  std::vector<uint32_t> name_offsets;
  std::vector<RawSection> all = sections;
  all.push_back({".shstrtab", elf::kShtStrtab, 0, 0, 0, 0, 1});
  for (const RawSection& s : all) {
    name_offsets.push_back(names.size());
    names.insert(names.end(), s.name.begin(), s.name.end());
    names.push_back(0);
  }
  all.back().offset = out.size();
  all.back().size = names.size();
  out.insert(out.end(), names.begin(), names.end());
  const uint64_t shoff = (out.size() + 7) & ~uint64_t{7};
  out.resize(shoff + (all.size() + 1) * sizes.shdr);
  for (size_t i = 0; i < all.size(); ++i) {
    EncodeSection(e, shoff + (i + 1) * sizes.shdr, all[i], name_offsets[i],
                  variant.is64);
  }

  const uint8_t ident[] = {0x7f, 'E', 'L', 'F',
                           uint8_t(variant.is64 ? 2 : 1),
                           uint8_t(variant.big_endian ? 2 : 1), 1};
  std::copy(std::begin(ident), std::end(ident), out.begin());
  const HeaderOffsets h = HeaderFieldOffsets(variant);
  e.At(h.type, 2, type);
  e.At(h.machine, 2, machine);
  e.At(h.version, 4, 1);
  e.Word(h.phoff, phoff());
  e.Word(h.shoff, shoff);
  e.At(h.ehsize, 2, sizes.ehdr);
  e.At(h.phentsize, 2, sizes.phdr);
  e.At(h.phnum, 2, segments.size());
  e.At(h.shentsize, 2, sizes.shdr);
  e.At(h.shnum, 2, all.size() + 1);
  e.At(h.shstrndx, 2, all.size());
  for (size_t i = 0; i < segments.size(); ++i) {
    EncodeSegment(e, phoff() + i * sizes.phdr, segments[i], variant.is64);
  }
  return out;
}

HeaderOffsets HeaderFieldOffsets(ElfVariant variant) {
  const int w = variant.word_size();
  HeaderOffsets h;
  h.phoff = 24 + w;
  h.shoff = 24 + 2 * w;
  h.flags = 24 + 3 * w;
  h.ehsize = h.flags + 4;
  h.phentsize = h.ehsize + 2;
  h.phnum = h.ehsize + 4;
  h.shentsize = h.ehsize + 6;
  h.shnum = h.ehsize + 8;
  h.shstrndx = h.ehsize + 10;
  return h;
}

RawElf TwoSegmentImage(ElfVariant variant,
                       const std::vector<DynamicEntry>& dynamic) {
  RawElf elf;
  elf.variant = variant;
  const uint32_t r = elf::kPfR, rw = elf::kPfR | elf::kPfW;
  elf.segments = {
      {0, elf::kPtLoad, r, 0, 0, 0x1000, 0x1000, 0x10000},
      {0, elf::kPtLoad, rw, 0x10000, 0x10000, 0x1000, 0x1000, 0x10000},
  };
  elf.body.resize(0x11000);
  const uint64_t size = elf.PutDynamic(0x800, dynamic);
  elf.segments.push_back(
      {0, elf::kPtDynamic, r, 0x800, 0x800, size, size, 8});
  elf.sections = {
      {".rodata", elf::kShtProgbits, elf::kShfAlloc, 0x100, 0x100, 0x100, 8},
      {".dynamic", elf::kShtDynamic, elf::kShfAlloc, 0x800, 0x800, size, 8},
      {".data", elf::kShtProgbits, elf::kShfAlloc | elf::kShfWrite, 0x10000,
       0x10000, 0x1000, 8},
  };
  return elf;
}

RawElf RelocatedImage(ElfVariant variant, RawRelocations format,
                      uint16_t machine, uint32_t type) {
  const int w = variant.word_size();
  const std::vector<uint64_t> places = {0x10000, 0x10000 + uint64_t(w)};
  std::vector<DynamicEntry> dynamic;
  RawElf probe;  // Only to size the table.
  probe.variant = variant;
  uint64_t size = 0;
  switch (format) {
    case RawRelocations::kRela:
      size = probe.PutRela(0, places, type, {kAddends[0], kAddends[1]});
      dynamic = {{elf::kDtRela, kRelocationTable},
                 {elf::kDtRelasz, size},
                 {elf::kDtRelaent, uint64_t(variant.sizes().rela)}};
      break;
    case RawRelocations::kRel:
      size = probe.PutRel(0, places, type);
      dynamic = {{elf::kDtRel, kRelocationTable},
                 {elf::kDtRelsz, size},
                 {elf::kDtRelent, uint64_t(variant.sizes().rel)}};
      break;
    case RawRelocations::kRelr:
      size = 2 * w;  // An address, then a bitmap with the next word's bit.
      dynamic = {{elf::kDtRelr, kRelocationTable},
                 {elf::kDtRelrsz, size},
                 {elf::kDtRelrent, uint64_t(w)}};
      break;
  }
  dynamic.push_back({elf::kDtGuileEntry, 0x100});
  RawElf elf = TwoSegmentImage(variant, dynamic);
  elf.machine = machine;
  switch (format) {
    case RawRelocations::kRela:
      elf.PutRela(kRelocationTable, places, type, {kAddends[0], kAddends[1]});
      break;
    case RawRelocations::kRel:
      elf.PutRel(kRelocationTable, places, type);
      break;
    case RawRelocations::kRelr:
      elf.PutWord(kRelocationTable, places[0]);
      elf.PutWord(kRelocationTable + w, 0b11);
      break;
  }
  if (format != RawRelocations::kRela) {
    elf.PutWord(places[0], kAddends[0]);
    elf.PutWord(places[1], kAddends[1]);
  }
  return elf;
}

}  // namespace granule::testing
