// SPDX-License-Identifier: Apache-2.0
#include "loader/elf/windowed_reader.h"
#include "platform/status_macros.h"

#include <algorithm>
#include <cstring>

namespace granule {
namespace internal {

absl::Status WindowedReader::ReadAt(uint64_t offset, absl::Span<uint8_t> out,
                                    uint64_t read_behind, uint64_t read_ahead) {
  const bool in_window =
      offset >= window_offset_ && offset - window_offset_ <= window_.size() &&
      out.size() <= window_.size() - (offset - window_offset_);
  if (!in_window) {
    // offset + out.size() <= file_size_ (the caller's check), so no overflow.
    const uint64_t start = offset - std::min(read_behind, offset);
    const uint64_t after =
        std::min(read_ahead, file_size_ - offset - out.size());
    std::vector<uint8_t> bytes(offset - start + out.size() + after);
    ++reads_;
    GRANULE_RETURN_IF_ERROR(read_(start, absl::MakeSpan(bytes)));
    window_ = std::move(bytes);
    window_offset_ = start;
  }
  if (!out.empty()) {
    std::memcpy(out.data(), window_.data() + (offset - window_offset_),
                out.size());
  }
  return absl::OkStatus();
}

}  // namespace internal
}  // namespace granule
