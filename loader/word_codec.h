// SPDX-License-Identifier: Apache-2.0
// Whole-word reads and writes in an image's byte order, for the relocator's
// hot loops: the word size and byte order are decided once per table
// (WithWordCodec), not per field as LoadUnsigned does.
#ifndef GRANULE_LOADER_WORD_CODEC_H_
#define GRANULE_LOADER_WORD_CODEC_H_

#include <cstdint>
#include <cstring>

#include "loader/elf/byte_order.h"

namespace granule {

// `WordT` is uint32_t (ELF32) or uint64_t (ELF64); `kSwap` is whether the
// image's byte order is the opposite of the host's. Unaligned bytes are fine.
template <typename WordT, bool kSwap>
struct WordCodec {
  using Word = WordT;
  static constexpr int kSize = sizeof(Word);

  static Word Read(const uint8_t* p) {
    Word w;
    std::memcpy(&w, p, sizeof w);
    return kSwap ? ByteSwap(w) : w;
  }
  // Writes the low kSize bytes of `value`.
  static void Write(uint8_t* p, uint64_t value) {
    Word w = static_cast<Word>(value);
    if (kSwap) w = ByteSwap(w);
    std::memcpy(p, &w, sizeof w);
  }
};

// Calls fn(WordCodec<...>{}) with the codec for `variant` on this host and
// returns what it returns.
template <typename Fn>
auto WithWordCodec(ElfVariant variant, Fn&& fn) {
  const bool swap = variant.big_endian != HostIsBigEndian();
  if (variant.is64) {
    return swap ? fn(WordCodec<uint64_t, true>{})
                : fn(WordCodec<uint64_t, false>{});
  }
  return swap ? fn(WordCodec<uint32_t, true>{})
              : fn(WordCodec<uint32_t, false>{});
}

}  // namespace granule

#endif  // GRANULE_LOADER_WORD_CODEC_H_
