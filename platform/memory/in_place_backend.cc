// SPDX-License-Identifier: Apache-2.0
#include "platform/memory/in_place_backend.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_format.h"
#include "platform/file.h"
#include "platform/status_macros.h"

namespace granule {

const BackendTraits& InPlaceBackend::traits() const {
  static constexpr BackendTraits kTraits = {
      /*name=*/"in place",
      /*can_release_partially=*/false,
      /*enforces_protection=*/false,
      /*shares_file_pages=*/false,
      /*carves_reservations=*/false,
  };
  return kTraits;
}

PageGeometry InPlaceBackend::geometry() const {
  return *PageGeometry::Create(1, 1);
}

absl::StatusOr<uintptr_t> InPlaceBackend::ReserveRaw(size_t size,
                                                     size_t alignment) {
  const uintptr_t base = reinterpret_cast<uintptr_t>(buffer_) + load_start_;
  if (reserved_) {
    return absl::FailedPreconditionError(
        "in place: the buffer already holds an image");
  }
  if (base % alignment != 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "in place: the buffer at %#x + load start %#x is not aligned to %s",
        reinterpret_cast<uintptr_t>(buffer_), load_start_,
        FormatBytes(alignment)));
  }
  if (load_start_ > size_ || size > size_ - load_start_) {
    return absl::OutOfRangeError(absl::StrFormat(
        "in place: the image needs %u bytes from offset %#x but the buffer "
        "holds %u",
        size, load_start_, size_));
  }
  reserved_ = true;
  return base;
}

absl::Status InPlaceBackend::MapFileRaw(uintptr_t address, const File& file,
                                        uint64_t file_offset, size_t length,
                                        Protection) {
  // The bytes are there already when the file is this buffer; else read.
  const size_t from_file = static_cast<size_t>(
      std::min<uint64_t>(length, file.size() - file_offset));
  if (file.memory() == nullptr ||
      file.memory() + file.window_start() + file_offset !=
          reinterpret_cast<const uint8_t*>(address)) {
    GRANULE_RETURN_IF_ERROR(file.ReadAt(
        file_offset,
        absl::MakeSpan(reinterpret_cast<uint8_t*>(address), from_file)));
  }
  std::memset(reinterpret_cast<uint8_t*>(address) + from_file, 0,
              length - from_file);
  return absl::OkStatus();
}

absl::Status InPlaceBackend::MapZeroedRaw(uintptr_t address, size_t length,
                                          Protection) {
  std::memset(reinterpret_cast<void*>(address), 0, length);
  return absl::OkStatus();
}

}  // namespace granule
