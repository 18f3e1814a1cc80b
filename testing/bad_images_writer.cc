// SPDX-License-Identifier: Apache-2.0
// Catalogue cases made by corrupting granule's writer's own output: a
// compact, big-endian ELF64 image with R, RX and RW segments, .bss and a RELR
// table, a layout the raw_elf cases do not have. The fields to corrupt are
// found by decoding the headers here, not with the reader under test.
#include "absl/strings/str_format.h"
#include "loader/writer/image_writer.h"
#include "platform/status_macros.h"
#include "testing/bad_images_cases.h"

namespace granule::testing::bad_images {
namespace {

constexpr ElfVariant kVariant = kBe64;

struct Phdr {
  uint64_t at;  // File offset of the header.
  uint32_t type;
  uint64_t offset, vaddr, filesz, align;
};

uint64_t Load(const std::vector<uint8_t>& b, uint64_t at, int width) {
  return LoadUnsigned(b.data() + at, width, kVariant.big_endian);
}

std::vector<Phdr> Phdrs(const std::vector<uint8_t>& b) {
  const HeaderOffsets h = HeaderFieldOffsets(kVariant);
  std::vector<Phdr> out;
  const uint64_t phoff = Load(b, h.phoff, 8);
  for (uint64_t i = 0; i < Load(b, h.phnum, 2); ++i) {
    const uint64_t at = phoff + i * 56;  // Elf64_Phdr.
    out.push_back({at, uint32_t(Load(b, at, 4)), Load(b, at + 8, 8),
                   Load(b, at + 16, 8), Load(b, at + 32, 8),
                   Load(b, at + 48, 8)});
  }
  return out;
}

absl::StatusOr<std::vector<uint8_t>> WriterImage() {
  ImageSpec spec;
  spec.variant = kVariant;
  spec.layout = Layout::kCompact;
  spec.relocation_format = RelocationFormat::kRelr;
  spec.sections = {
      {".rodata", SectionAccess::kRead, 8, std::vector<uint8_t>(64, 1)},
      {".text", SectionAccess::kReadExecute, 16, std::vector<uint8_t>(32, 2)},
      {".data", SectionAccess::kReadWrite, 8, std::vector<uint8_t>(32, 0)},
      {".bss", SectionAccess::kReadWrite, 8, {}, 0x100},
  };
  spec.relocations = {{{".data", 0}, {".rodata", 0}},
                      {{".data", 8}, {".text", 0}}};
  spec.dynamic = {{elf::kDtGuileEntry, 0, ".rodata", 0}};
  GRANULE_ASSIGN_OR_RETURN(ImageBytes image, BuildImage(spec));
  return image.Flatten();
}

}  // namespace

void AddWriterCases(Catalogue& c) {
  const absl::StatusOr<std::vector<uint8_t>> built = WriterImage();
  if (!built.ok()) {  // A case that fails, naming the writer's error.
    c.Read("writer_image_failed_to_build", "the writer refused the spec", {},
           std::string(built.status().message()));
    return;
  }
  const std::vector<uint8_t>& good = *built;
  const std::vector<Phdr> phdrs = Phdrs(good);
  // R, RX, RW, then PT_DYNAMIC.
  const Phdr& rx = phdrs[1];
  const Phdr& rw = phdrs[2];
  const Phdr& dynamic = phdrs[3];

  c.Read("writer_rx_segment_made_rwx", "the writer's RX segment with PF_W",
         Patch(good, kVariant, rx.at + 4, 4, elf::kPfR | elf::kPfW | elf::kPfX),
         "program header 1: p_flags RWX: writable and executable together is "
         "refused");
  c.Read("writer_rw_offset_shifted", "the writer's RW p_offset 8 bytes back",
         Patch(good, kVariant, rw.at + 8, 8, rw.offset - 8),
         absl::StrFormat("program header 2: p_vaddr 0x%x is not congruent to "
                         "p_offset 0x%x modulo p_align 0x%x",
                         rw.vaddr, rw.offset - 8, rw.align));
  const uint64_t entries = dynamic.filesz / 16;
  c.Read("writer_dt_null_overwritten", "the writer's DT_NULL made DT_DEBUG",
         Patch(good, kVariant, dynamic.offset + dynamic.filesz - 16, 8,
               elf::kDtDebug),
         absl::StrFormat("dynamic table (PT_DYNAMIC) at p_offset 0x%x has no "
                         "DT_NULL among its %d entries",
                         dynamic.offset, entries));
  // DT_RELR's value is the table's address; in the R segment, at p_offset 0,
  // address and file offset are equal.
  uint64_t relr = 0;
  for (uint64_t i = 0; i < entries; ++i) {
    if (Load(good, dynamic.offset + 16 * i, 8) == uint64_t(elf::kDtRelr)) {
      relr = Load(good, dynamic.offset + 16 * i + 8, 8);
    }
  }
  const uint64_t first = Load(good, relr, 8);
  c.Add("writer_relr_address_made_bitmap",
        "the writer's first RELR word "
        "with its low bit set",
        BadImageStage::kLoad, Patch(good, kVariant, relr, 8, first | 1),
        absl::StrFormat("DT_RELR entry 0: a bitmap 0x%x before any address",
                        first | 1));
}

}  // namespace granule::testing::bad_images
