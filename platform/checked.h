// SPDX-License-Identifier: Apache-2.0
// Arithmetic checked for overflow, the one place it is checked: every
// offset, size and address read from an image and every region size a
// backend is asked for goes through these (musl's habit: check once, in one
// place), so no later code can wrap around.
#ifndef GRANULE_PLATFORM_CHECKED_H_
#define GRANULE_PLATFORM_CHECKED_H_

#include <cstdint>
#include <optional>

namespace granule::checked {

inline std::optional<uint64_t> Add(uint64_t a, uint64_t b) {
  uint64_t sum;
  if (__builtin_add_overflow(a, b, &sum)) return std::nullopt;
  return sum;
}

inline std::optional<uint64_t> Multiply(uint64_t a, uint64_t b) {
  uint64_t product;
  if (__builtin_mul_overflow(a, b, &product)) return std::nullopt;
  return product;
}

// True when [offset, offset + length) lies inside [0, limit).
inline bool RangeWithin(uint64_t offset, uint64_t length, uint64_t limit) {
  return offset <= limit && length <= limit - offset;
}

// True when [inner, inner + inner_length) lies inside [outer, outer +
// outer_length), the outer range itself known not to wrap.
inline bool RangeInside(uint64_t inner, uint64_t inner_length, uint64_t outer,
                        uint64_t outer_length) {
  return inner >= outer &&
         RangeWithin(inner - outer, inner_length, outer_length);
}

// `align` is a power of two (or 0/1, meaning none).
inline uint64_t AlignDown(uint64_t value, uint64_t align) {
  return align <= 1 ? value : value & ~(align - 1);
}
inline std::optional<uint64_t> AlignUp(uint64_t value, uint64_t align) {
  if (align <= 1) return value;
  std::optional<uint64_t> sum = Add(value, align - 1);
  if (!sum) return std::nullopt;
  return *sum & ~(align - 1);
}

// Chains of the operations above that remember an overflow instead of
// stopping at each step: the writer lays out many sections and checks once
// per section whether any sum wrapped. Results after an overflow are
// meaningless; only overflowed() is.
class Accumulator {
 public:
  uint64_t Add(uint64_t a, uint64_t b) { return Track(checked::Add(a, b)); }
  uint64_t AlignUp(uint64_t value, uint64_t align) {
    return Track(checked::AlignUp(value, align));
  }
  bool overflowed() const { return overflowed_; }

 private:
  uint64_t Track(std::optional<uint64_t> result) {
    overflowed_ |= !result.has_value();
    return result.value_or(0);
  }
  bool overflowed_ = false;
};

}  // namespace granule::checked

#endif  // GRANULE_PLATFORM_CHECKED_H_
