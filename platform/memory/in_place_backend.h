// SPDX-License-Identifier: Apache-2.0
// The in-place backend: one caller-owned buffer that already holds an image
// laid out as memory (the 1:1 layout: file offset == address), used as the
// image's memory without a copy. The region it reserves is the buffer at
// the image's load start; mapping the file range that is already there does
// nothing, zero-filled ranges are cleared in the buffer, and protections are
// recorded but not applied: the buffer stays as the caller made it
// (writable, since relocations are written into it). One reservation per
// backend; the buffer is never freed here.
#ifndef GRANULE_PLATFORM_MEMORY_IN_PLACE_BACKEND_H_
#define GRANULE_PLATFORM_MEMORY_IN_PLACE_BACKEND_H_

#include <cstddef>
#include <cstdint>

#include "platform/memory/memory_backend.h"

namespace granule {

class InPlaceBackend : public MemoryBackend {
 public:
  // `load_start`: the image address at the region's first byte, so the
  // region is buffer + load_start.
  InPlaceBackend(uint8_t* buffer, size_t size, uint64_t load_start)
      : buffer_(buffer), size_(size), load_start_(load_start) {}

  static const char* Name() { return "in place"; }
  const BackendTraits& traits() const override;
  PageGeometry geometry() const override;

 protected:
  absl::StatusOr<uintptr_t> ReserveRaw(size_t size, size_t alignment) override;
  absl::Status MapFileRaw(uintptr_t address, const File& file,
                          uint64_t file_offset, size_t length,
                          Protection protection) override;
  absl::Status MapZeroedRaw(uintptr_t address, size_t length,
                            Protection protection) override;
  absl::Status ProtectRaw(uintptr_t, size_t, Protection, bool) override {
    return absl::OkStatus();  // Recorded by Region; the buffer is the caller's.
  }
  absl::Status ReleaseRaw(uintptr_t, size_t,
                          absl::Span<const MappingView>) override {
    return absl::OkStatus();  // The buffer is the caller's to free.
  }

 private:
  uint8_t* const buffer_;
  const size_t size_;
  const uint64_t load_start_;
  bool reserved_ = false;
};

}  // namespace granule

#endif  // GRANULE_PLATFORM_MEMORY_IN_PLACE_BACKEND_H_
