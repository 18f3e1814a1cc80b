// SPDX-License-Identifier: Apache-2.0
// The OS-neutral half of every backend: the backend's argument checks and
// reservations (region.cc: the Region's).
#include "platform/memory/memory_backend.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "platform/checked.h"
#include "platform/status_macros.h"

namespace granule {

bool internal::RoundUp(size_t value, size_t unit, size_t* out) {
  const std::optional<uint64_t> rounded = checked::AlignUp(value, unit);
  if (!rounded || *rounded > std::numeric_limits<size_t>::max()) return false;
  *out = static_cast<size_t>(*rounded);
  return true;
}

const char* ProtectionName(Protection protection) {
  switch (protection) {
    case Protection::kNone:
      return "none";
    case Protection::kRead:
      return "R";
    case Protection::kReadWrite:
      return "RW";
    case Protection::kReadExecute:
      return "RX";
  }
  return "invalid";
}

const char* AccessAdviceName(AccessAdvice advice) {
  switch (advice) {
    case AccessAdvice::kRandom:
      return "random";
    case AccessAdvice::kWillNeed:
      return "willneed";
  }
  return "invalid";
}

absl::StatusOr<MemoryBackend::ReserveRequest> MemoryBackend::CheckReserve(
    size_t size, size_t alignment) const {
  const PageGeometry g = geometry();
  if (size == 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: reserve of 0 bytes", traits().name));
  }
  if (!IsPowerOfTwo(alignment)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: reserve of %u bytes: alignment %u is not a power of two",
        traits().name, size, alignment));
  }
  alignment = std::max(alignment, g.allocation_granularity());
  // Backends over-allocate by up to `alignment` to align (mmap, and
  // libstdc++'s aligned new, whose rounding wraps to a 0-byte block), so the
  // sum must be representable too.
  size_t rounded;
  const std::optional<uint64_t> padded =
      internal::RoundUp(size, g.page_size(), &rounded)
          ? checked::Add(rounded, alignment)
          : std::nullopt;
  if (!padded || *padded > std::numeric_limits<size_t>::max()) {
    return absl::ResourceExhaustedError(absl::StrFormat(
        "%s: reserve of %u bytes aligned to %s overflows the address space",
        traits().name, size, FormatBytes(alignment)));
  }
  return ReserveRequest{rounded, alignment};
}

absl::Status MemoryBackend::CheckAligned(uintptr_t base,
                                         size_t alignment) const {
  if (base % alignment == 0) return absl::OkStatus();
  return absl::InternalError(
      absl::StrFormat("%s: reservation at %#x is not aligned to %s as asked",
                      traits().name, base, FormatBytes(alignment)));
}

absl::StatusOr<Region> MemoryBackend::Reserve(size_t size, size_t alignment) {
  GRANULE_ASSIGN_OR_RETURN(ReserveRequest request,
                           CheckReserve(size, alignment));
  GRANULE_ASSIGN_OR_RETURN(uintptr_t base,
                           ReserveRaw(request.size, request.alignment));
  Region region(this, base, request.size);
  live_regions_.fetch_add(1);
  // On error `region` releases the reservation.
  GRANULE_RETURN_IF_ERROR(CheckAligned(base, request.alignment));
  return region;
}

absl::StatusOr<Region> MemoryBackend::ReserveMappingFile(
    size_t size, size_t alignment, const File& file, uint64_t file_offset,
    size_t length, Protection protection) {
  GRANULE_ASSIGN_OR_RETURN(ReserveRequest request,
                           CheckReserve(size, alignment));
  GRANULE_RETURN_IF_ERROR(CheckFileRange(file, file_offset, length));
  size_t mapped;
  if (length == 0 ||
      !internal::RoundUp(length, geometry().page_size(), &mapped) ||
      mapped > request.size) {
    return absl::OutOfRangeError(absl::StrFormat(
        "%s: map file '%s' of %u bytes at offset 0 runs past the end of the "
        "%u-byte region",
        traits().name, file.path(), length, request.size));
  }
  GRANULE_ASSIGN_OR_RETURN(
      uintptr_t base,
      ReserveMappingFileRaw(request.size, request.alignment, file, file_offset,
                            mapped, protection));
  Region region(this, base, request.size);
  live_regions_.fetch_add(1);
  region.AddMapping(0, mapped, /*file_backed=*/true, protection);
  GRANULE_RETURN_IF_ERROR(CheckAligned(base, request.alignment));
  return region;
}

absl::StatusOr<uintptr_t> MemoryBackend::ReserveMappingFileRaw(
    size_t size, size_t alignment, const File& file, uint64_t file_offset,
    size_t length, Protection protection) {
  GRANULE_ASSIGN_OR_RETURN(uintptr_t base, ReserveRaw(size, alignment));
  absl::Status mapped = MapFileRaw(base, file, file_offset, length, protection);
  if (mapped.ok()) return base;
  // The reservation holds no mapping yet. A failed release is said beside
  // the map's error, as no Region will ever hold that range.
  const absl::Status released = ReleaseRaw(base, size, {});
  if (released.ok()) return mapped;
  return absl::Status(mapped.code(), absl::StrCat(mapped.message(), "; then ",
                                                  released.message()));
}

absl::Status MemoryBackend::CheckFileRange(const File& file,
                                           uint64_t file_offset,
                                           size_t length) const {
  const PageGeometry g = geometry();
  if (file_offset % g.allocation_granularity() != 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: map file '%s' at file offset %#x: not a multiple of the "
        "allocation granularity %s",
        traits().name, file.path(), file_offset,
        FormatBytes(g.allocation_granularity())));
  }
  if (file_offset > file.size() || length > file.size() - file_offset) {
    return absl::OutOfRangeError(absl::StrFormat(
        "%s: map file '%s': %u bytes at file offset %#x run past its end "
        "(%u bytes)",
        traits().name, file.path(), length, file_offset, file.size()));
  }
  return absl::OkStatus();
}

absl::Status MemoryBackend::ResetRaw(uintptr_t address, size_t size,
                                     absl::Span<const MappingView>) {
  return absl::UnimplementedError(absl::StrFormat(
      "%s: cannot return [%#x, %#x) to reserved: this backend does not carve "
      "reservations",
      traits().name, address, address + size));
}

absl::StatusOr<MemoryBackend*> HostMemoryBackend() {
  // Never deleted, so Regions released by static destructors still find it.
  static const absl::StatusOr<MemoryBackend*> backend =
      []() -> absl::StatusOr<MemoryBackend*> {
    GRANULE_ASSIGN_OR_RETURN(PageGeometry geometry, HostPageGeometry());
    return internal::NewHostMemoryBackend(geometry).release();
  }();
  return backend;
}

}  // namespace granule
