// SPDX-License-Identifier: Apache-2.0
// ELF variants and field access in an image's own byte order, independent of
// the host's.
#ifndef GRANULE_LOADER_ELF_BYTE_ORDER_H_
#define GRANULE_LOADER_ELF_BYTE_ORDER_H_

#include <cstdint>
#include <cstring>
#include <ostream>
#include <string>

#include "loader/elf/elf_format.h"

namespace granule {

// One of the four kinds of ELF file: word size and byte order.
struct ElfVariant {
  bool is64 = true;
  bool big_endian = false;

  const elf::ClassSizes& sizes() const {
    return is64 ? elf::kSizes64 : elf::kSizes32;
  }
  int word_size() const { return sizes().word; }
  // "ELF64 little-endian".
  std::string ToString() const {
    return std::string(is64 ? "ELF64" : "ELF32") +
           (big_endian ? " big-endian" : " little-endian");
  }
  friend bool operator==(ElfVariant a, ElfVariant b) {
    return a.is64 == b.is64 && a.big_endian == b.big_endian;
  }
  friend bool operator!=(ElfVariant a, ElfVariant b) { return !(a == b); }
};

// Names test parameters "ELF64 big-endian" rather than by their bytes.
inline void PrintTo(const ElfVariant& variant, std::ostream* os) {
  *os << variant.ToString();
}

inline constexpr ElfVariant kAllVariants[4] = {
    {true, false}, {true, true}, {false, false}, {false, true}};

inline uint16_t ByteSwap(uint16_t w) { return __builtin_bswap16(w); }
inline uint32_t ByteSwap(uint32_t w) { return __builtin_bswap32(w); }
inline uint64_t ByteSwap(uint64_t w) { return __builtin_bswap64(w); }

// Compilers fold this to a constant; it needs no per-platform macro.
inline bool HostIsBigEndian() {
  const uint16_t one = 1;
  uint8_t first;
  std::memcpy(&first, &one, 1);
  return first == 0;
}

// Reads an unsigned integer of sizeof(T) bytes: one load, and a byte swap
// when the image's order is not the host's. Unaligned bytes are fine.
template <typename T>
inline uint64_t LoadFixedWidth(const uint8_t* p, bool big_endian) {
  T value;
  std::memcpy(&value, p, sizeof value);
  return big_endian != HostIsBigEndian() ? ByteSwap(value) : value;
}

// Reads an unsigned integer of `width` bytes (1, 2, 4 or 8).
inline uint64_t LoadUnsigned(const uint8_t* p, int width, bool big_endian) {
  switch (width) {
    case 1:
      return p[0];
    case 2:
      return LoadFixedWidth<uint16_t>(p, big_endian);
    case 4:
      return LoadFixedWidth<uint32_t>(p, big_endian);
    default:
      return LoadFixedWidth<uint64_t>(p, big_endian);
  }
}

// Writes the low `width` bytes of `value`.
inline void StoreUnsigned(uint8_t* p, int width, bool big_endian,
                          uint64_t value) {
  for (int i = 0; i < width; ++i) {
    const int shift = big_endian ? 8 * (width - 1 - i) : 8 * i;
    p[i] = static_cast<uint8_t>(value >> shift);
  }
}

// Sign-extends a `width`-byte value (ELF32's Sword, Elf32_Sxword-less tags).
inline int64_t SignExtend(uint64_t value, int width) {
  if (width >= 8) return static_cast<int64_t>(value);
  const uint64_t sign = uint64_t{1} << (8 * width - 1);
  return static_cast<int64_t>((value ^ sign) - sign);
}

}  // namespace granule

#endif  // GRANULE_LOADER_ELF_BYTE_ORDER_H_
