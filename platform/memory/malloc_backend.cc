// SPDX-License-Identifier: Apache-2.0
#include "platform/memory/malloc_backend.h"

#include <algorithm>
#include <cstring>
#include <new>

#include "absl/strings/str_format.h"
#include "platform/status_macros.h"

namespace granule {

const BackendTraits& MallocBackend::traits() const {
  static constexpr BackendTraits kTraits = {
      /*name=*/"malloc",
      /*can_release_partially=*/false,
      /*enforces_protection=*/false,
      /*shares_file_pages=*/false,
      /*carves_reservations=*/true,
  };
  return kTraits;
}

PageGeometry MallocBackend::geometry() const {
  return *PageGeometry::Create(1, 1);
}

absl::StatusOr<uintptr_t> MallocBackend::ReserveRaw(size_t size,
                                                    size_t alignment) {
  // Left uninitialised: only mapped ranges are readable, and mapping fills
  // them.
  void* p = ::operator new (size, std::align_val_t{alignment}, std::nothrow);
  if (p == nullptr) {
    return absl::ResourceExhaustedError(
        absl::StrFormat("%s: allocation of %u bytes aligned to %s failed",
                        traits().name, size, FormatBytes(alignment)));
  }
  const uintptr_t base = reinterpret_cast<uintptr_t>(p);
  MutexLock lock(&mutex_);
  alignment_of_[base] = alignment;
  return base;
}

absl::Status MallocBackend::MapFileRaw(uintptr_t address, const File& file,
                                       uint64_t file_offset, size_t length,
                                       Protection) {
  // Like a kernel, fill the whole (page-rounded) length: file bytes while the
  // file lasts, then zeros.
  uint8_t* out = reinterpret_cast<uint8_t*>(address);
  const size_t from_file = static_cast<size_t>(
      std::min<uint64_t>(length, file.size() - file_offset));
  GRANULE_RETURN_IF_ERROR(
      file.ReadAt(file_offset, absl::MakeSpan(out, from_file)));
  std::memset(out + from_file, 0, length - from_file);
  return absl::OkStatus();
}

absl::Status MallocBackend::MapZeroedRaw(uintptr_t address, size_t length,
                                         Protection) {
  std::memset(reinterpret_cast<void*>(address), 0, length);
  return absl::OkStatus();
}

absl::Status MallocBackend::ProtectRaw(uintptr_t, size_t, Protection, bool) {
  // Region records the protection; there is nothing to enforce.
  return absl::OkStatus();
}

absl::Status MallocBackend::PopulateRaw(uintptr_t, size_t) {
  return absl::OkStatus();
}

absl::Status MallocBackend::ReleaseRaw(uintptr_t base, size_t,
                                       absl::Span<const MappingView>) {
  size_t alignment;
  {
    MutexLock lock(&mutex_);
    auto it = alignment_of_.find(base);
    if (it == alignment_of_.end()) {
      return absl::InternalError(absl::StrFormat(
          "%s: release of %#x, which this backend did not reserve",
          traits().name, base));
    }
    alignment = it->second;
    alignment_of_.erase(it);
  }
  ::operator delete (reinterpret_cast<void*>(base),
                     std::align_val_t{alignment});
  return absl::OkStatus();
}

MemoryBackend& HeapMemoryBackend() {
  static MallocBackend* const backend = new MallocBackend();
  return *backend;
}

}  // namespace granule
