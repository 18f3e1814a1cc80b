// SPDX-License-Identifier: Apache-2.0
#include "loader/elf/windowed_reader.h"

#include <algorithm>
#include <cstring>

#include "platform/status_macros.h"

namespace granule {
namespace internal {

absl::StatusOr<absl::Span<const uint8_t>> WindowedReader::View(
    uint64_t offset, uint64_t size, uint64_t read_behind, uint64_t read_ahead) {
  const bool in_window = offset >= window_offset_ &&
                         offset - window_offset_ <= window_size_ &&
                         size <= window_size_ - (offset - window_offset_);
  if (!in_window) {
    // offset + size <= file_size_ (the caller's check), so no overflow.
    const uint64_t start = offset - std::min(read_behind, offset);
    const uint64_t after = std::min(read_ahead, file_size_ - offset - size);
    const uint64_t length = offset - start + size + after;
    window_size_ = 0;  // A failed read leaves nothing to serve.
    window_on_heap_ = length > kInlineBytes;
    if (window_on_heap_ && length > heap_capacity_) {
      heap_.reset(new uint8_t[length]);
      heap_capacity_ = length;
    }
    ++reads_;
    GRANULE_RETURN_IF_ERROR(read_(start, absl::MakeSpan(window(), length)));
    window_offset_ = start;
    window_size_ = length;
  }
  return absl::Span<const uint8_t>(window() + (offset - window_offset_), size);
}

absl::Status WindowedReader::ReadAt(uint64_t offset, absl::Span<uint8_t> out,
                                    uint64_t read_behind, uint64_t read_ahead) {
  GRANULE_ASSIGN_OR_RETURN(absl::Span<const uint8_t> bytes,
                           View(offset, out.size(), read_behind, read_ahead));
  if (!bytes.empty()) std::memcpy(out.data(), bytes.data(), bytes.size());
  return absl::OkStatus();
}

}  // namespace internal
}  // namespace granule
