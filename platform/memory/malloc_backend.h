// SPDX-License-Identifier: Apache-2.0
// The malloc backend: the path that works everywhere.
//
// A reservation is an aligned heap block; mapping a file range reads it in
// (pread/ReadFile), mapping zeroed memory clears it. Protections are recorded
// (Region::ProtectionAt answers) but not enforced: every byte stays writable
// and nothing is shared between processes. Its geometry is one byte, so it
// accepts every placement the loader asks for.
#ifndef GRANULE_PLATFORM_MEMORY_MALLOC_BACKEND_H_
#define GRANULE_PLATFORM_MEMORY_MALLOC_BACKEND_H_

#include <map>

#include "platform/mutex.h"
#include "platform/memory/memory_backend.h"

namespace granule {

class MallocBackend : public MemoryBackend {
 public:
  MallocBackend() = default;
  ~MallocBackend() override = default;

  const BackendTraits& traits() const override;
  PageGeometry geometry() const override;

 protected:
  absl::StatusOr<uintptr_t> ReserveRaw(size_t size, size_t alignment) override;
  absl::Status MapFileRaw(uintptr_t address, const File& file,
                          uint64_t file_offset, size_t length,
                          Protection protection) override;
  absl::Status MapZeroedRaw(uintptr_t address, size_t length,
                            Protection protection) override;
  absl::Status ProtectRaw(uintptr_t address, size_t length,
                          Protection protection, bool file_backed) override;
  // Heap memory is present already: nothing to do.
  absl::Status PopulateRaw(uintptr_t address, size_t length) override;
  absl::Status ReleaseRaw(uintptr_t base, size_t size,
                          absl::Span<const MappingView> mappings) override;
  // Heap memory stays allocated with the arena's block: nothing to undo.
  absl::Status ResetRaw(uintptr_t, size_t,
                        absl::Span<const MappingView>) override {
    return absl::OkStatus();
  }

 private:
  Mutex mutex_;
  // Aligned delete must be told the alignment the block was allocated with.
  std::map<uintptr_t, size_t> alignment_of_ ABSL_GUARDED_BY(mutex_);
};

// A process-wide MallocBackend.
MemoryBackend& HeapMemoryBackend();

}  // namespace granule

#endif  // GRANULE_PLATFORM_MEMORY_MALLOC_BACKEND_H_
