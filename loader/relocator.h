// SPDX-License-Identifier: Apache-2.0
// Applies an image's relative relocations (DT_RELA, DT_REL, DT_RELR) to its
// loaded bytes. Every table and every place is checked against the PT_LOAD
// segments first: a place outside a writable segment is an error naming it.
#ifndef GRANULE_LOADER_RELOCATOR_H_
#define GRANULE_LOADER_RELOCATOR_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "loader/elf/elf_image.h"
#include "platform/file.h"
#include "platform/memory/memory_backend.h"

namespace granule {

// The loaded image: the byte holding image address `load_start` is at
// `data`. Lookups are checked, so untrusted addresses are safe to pass.
class ImageMemory {
 public:
  ImageMemory(const ElfImage& image, uint8_t* data, uint64_t load_start)
      : image_(image),
        loads_(image.LoadSegments()),
        data_(data),
        load_start_(load_start) {}

  // [address, address + size) when it lies inside one PT_LOAD's memory
  // (p_vaddr to p_vaddr + p_memsz), and that segment is writable if asked;
  // else an error naming `what` and the address.
  absl::StatusOr<uint8_t*> At(uint64_t address, uint64_t size, bool writable,
                              const std::string& what) const;
  // The same check, without the pointer: for an image that is not loaded.
  absl::Status Check(uint64_t address, uint64_t size, bool writable,
                     const std::string& what) const;
  // The PT_LOAD whose memory holds [address, address + size), or null.
  // Segments do not overlap (CheckLoadOrder), so it is the only one.
  const Segment* Containing(uint64_t address, uint64_t size) const;
  // The error At() gives for a range that Containing() put in `segment`
  // (null: none) when that is not allowed.
  absl::Status RangeError(const Segment* segment, uint64_t address,
                          uint64_t size, const std::string& what) const;
  // The byte at `address`, which Containing() has found inside a PT_LOAD.
  uint8_t* PointerInside(uint64_t address) const {
    return data_ + OffsetOf(address);
  }
  // How far the byte at image address `address` is from `data`.
  uint64_t OffsetOf(uint64_t address) const { return address - load_start_; }

  const ElfImage& image() const { return image_; }

 private:
  const ElfImage& image_;
  // Looked up once per image, not per lookup.
  LoadSegmentList loads_;
  uint8_t* data_;
  uint64_t load_start_;
};

// What a shared load, whose writable file pages fault in on first write,
// lends the relocator. Both are optional; other loads pass neither.
struct SharedLoadAids {
  // The region whose first byte is memory's data: a table whose places run
  // densely over many pages has them populated first (relocation_pages.h),
  // which fails the load if the system fails it.
  Region* populate = nullptr;
  // The file the image was mapped from: a large table in a read-only
  // segment is read from it (RelocationTable::ForLoad), not through its
  // mapping.
  const File* mapped_file = nullptr;
};

// Writes relocation_base + addend into every place. `relocation_base` is the
// address the image is relocated for, normally where address 0 of the image
// now is. Returns how many relocations were applied (R_*_NONE entries are
// skipped and not counted).
absl::StatusOr<size_t> ApplyRelocations(const ImageMemory& memory,
                                        uint64_t relocation_base,
                                        const SharedLoadAids& aids = {});

// Checks every table and place as ApplyRelocations would, reading the
// tables from `file` and writing nothing, so `granule check` refuses what a
// load would. Only what depends on the base (an ELF32 value past 2^32) is
// left to the load.
absl::Status CheckRelocations(const File& file, const ElfImage& image);

}  // namespace granule

#endif  // GRANULE_LOADER_RELOCATOR_H_
