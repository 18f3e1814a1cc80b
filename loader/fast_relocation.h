// SPDX-License-Identifier: Apache-2.0
// The relocator's fast path: a relative relocation whose place lies inside
// the writable segment of the place before it (relocations are mostly
// sorted) needs no segment search. Kept in locals of the table loop, apart
// from the Relocator's members, because a store through a uint8_t* may alias
// any member and would make the compiler reload them on every entry.
#ifndef GRANULE_LOADER_FAST_RELOCATION_H_
#define GRANULE_LOADER_FAST_RELOCATION_H_

#include <cstddef>
#include <cstdint>

#include "loader/checked.h"

namespace granule::internal {

template <typename Codec>
class FastRelocation {
 public:
  explicit FastRelocation(uint64_t base) : base_(base) {}

  // The writable segment [start, start + size) whose byte `start` is at
  // `bytes`, every word in it already checked as a place. Size 0: none.
  void SetWindow(uint64_t start, uint64_t size, uint8_t* bytes) {
    start_ = start;
    size_ = size;
    bytes_ = bytes;
  }

  // The place's bytes when the word at `address` lies in the window; else
  // null, and the place needs the full check.
  uint8_t* Find(uint64_t address) const {
    if (!checked::RangeInside(address, Codec::kSize, start_, size_)) {
      return nullptr;
    }
    return bytes_ + (address - start_);
  }

  // Stores base + addend, or returns false having written nothing when the
  // value does not fit an ELF32 word (the full path names the error).
  bool Store(uint8_t* place, uint64_t addend) {
    const uint64_t value = base_ + addend;  // Wraps like the hardware would.
    if (Codec::kSize == 4 && value > 0xffffffffu) return false;
    Codec::Write(place, value);
    ++applied_;
    return true;
  }

  // A relocation whose addend is the word at the place (REL, RELR).
  bool RelocateImplicit(uint64_t address) {
    uint8_t* place = Find(address);
    return place != nullptr && Store(place, Codec::Read(place));
  }

  size_t applied() const { return applied_; }

 private:
  const uint64_t base_;
  uint64_t start_ = 0, size_ = 0;
  uint8_t* bytes_ = nullptr;
  size_t applied_ = 0;
};

}  // namespace granule::internal

#endif  // GRANULE_LOADER_FAST_RELOCATION_H_
