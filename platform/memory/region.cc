// SPDX-License-Identifier: Apache-2.0
// The OS-neutral half of every backend, for a Region: the checks of every
// placement, protection, populate and advice, and the bookkeeping of its
// mappings and their protections.
#include <algorithm>
#include <cstdint>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "platform/memory/address_arena.h"
#include "platform/memory/memory_backend.h"
#include "platform/status_macros.h"

namespace granule {

using internal::RoundUp;

Region::Region(Region&& other) noexcept
    : backend_(std::exchange(other.backend_, nullptr)),
      base_(std::exchange(other.base_, 0)),
      size_(std::exchange(other.size_, 0)),
      mappings_(std::move(other.mappings_)),
      arena_(std::move(other.arena_)) {
  other.mappings_.clear();
}

Region& Region::operator=(Region&& other) noexcept {
  if (this != &other) {
    Release().IgnoreError();
    backend_ = std::exchange(other.backend_, nullptr);
    base_ = std::exchange(other.base_, 0);
    size_ = std::exchange(other.size_, 0);
    mappings_ = std::move(other.mappings_);
    other.mappings_.clear();
    arena_ = std::move(other.arena_);
  }
  return *this;
}

// A destructor cannot report; a failed release stays visible in the ledger.
Region::~Region() { Release().IgnoreError(); }

absl::Status Region::Release() {
  if (backend_ == nullptr) return absl::OkStatus();
  absl::InlinedVector<MemoryBackend::MappingView, 2> views;
  views.reserve(mappings_.size());
  for (const Mapping& m : mappings_) {
    views.push_back({base_ + m.offset, m.length, m.file_backed});
  }
  const bool slot = arena_ != nullptr && backend_->traits().carves_reservations;
  absl::Status status = slot ? backend_->ResetRaw(base_, size_, views)
                             : backend_->ReleaseRaw(base_, size_, views);
  if (status.ok()) {
    backend_->live_regions_.fetch_sub(1);
    backend_->live_mappings_.fetch_sub(mappings_.size());
    // A slot whose mappings could not be removed is never handed out again.
    if (arena_ != nullptr) arena_->ReturnSlot(base_, size_);
  }
  arena_.reset();
  backend_ = nullptr;
  base_ = 0;
  size_ = 0;
  mappings_.clear();
  return status;
}

absl::StatusOr<size_t> Region::CheckPlacement(const char* operation,
                                              size_t offset,
                                              size_t length) const {
  const PageGeometry g = backend_->geometry();
  const char* name = backend_->traits().name;
  if (length == 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: %s at offset %#x: length is 0", name, operation, offset));
  }
  if (offset % g.allocation_granularity() != 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: %s at offset %#x (address %#x): placement is not a multiple of "
        "the allocation granularity %s",
        name, operation, offset, base_ + offset,
        FormatBytes(g.allocation_granularity())));
  }
  size_t rounded;
  if (!RoundUp(length, g.page_size(), &rounded) || offset > size_ ||
      rounded > size_ - offset) {
    return absl::OutOfRangeError(absl::StrFormat(
        "%s: %s of %u bytes at offset %#x runs past the end of the %u-byte "
        "region at %#x",
        name, operation, length, offset, size_, base_));
  }
  for (const Mapping& m : mappings_) {
    if (m.offset < offset + rounded && offset < m.offset + m.length) {
      return absl::FailedPreconditionError(absl::StrFormat(
          "%s: %s at [%#x, %#x) overlaps the mapping at [%#x, %#x)", name,
          operation, offset, offset + rounded, m.offset, m.offset + m.length));
    }
  }
  return rounded;
}

void Region::AddMapping(size_t offset, size_t length, bool file_backed,
                        Protection protection) {
  Mapping mapping{offset, length, file_backed,
                  ProtectionRuns(offset, offset + length, protection)};
  auto at = std::lower_bound(
      mappings_.begin(), mappings_.end(), offset,
      [](const Mapping& m, size_t value) { return m.offset < value; });
  mappings_.insert(at, std::move(mapping));
  backend_->live_mappings_.fetch_add(1);
}

const Region::Mapping* Region::FindMapping(size_t offset) const {
  for (const Mapping& m : mappings_) {
    if (offset >= m.offset && offset - m.offset < m.length) return &m;
  }
  return nullptr;
}

absl::Status Region::MapFile(size_t offset, const File& file,
                             uint64_t file_offset, size_t length,
                             Protection protection) {
  if (backend_ == nullptr) {
    return absl::FailedPreconditionError("map file: region was released");
  }
  GRANULE_RETURN_IF_ERROR(backend_->CheckFileRange(file, file_offset, length));
  GRANULE_ASSIGN_OR_RETURN(size_t rounded,
                           CheckPlacement("map file", offset, length));
  GRANULE_RETURN_IF_ERROR(backend_->MapFileRaw(
      base_ + offset, file, file_offset, rounded, protection));
  AddMapping(offset, rounded, /*file_backed=*/true, protection);
  return absl::OkStatus();
}

absl::Status Region::MapZeroed(size_t offset, size_t length,
                               Protection protection) {
  if (backend_ == nullptr) {
    return absl::FailedPreconditionError("map zeroed: region was released");
  }
  GRANULE_ASSIGN_OR_RETURN(size_t rounded,
                           CheckPlacement("map zeroed", offset, length));
  GRANULE_RETURN_IF_ERROR(
      backend_->MapZeroedRaw(base_ + offset, rounded, protection));
  AddMapping(offset, rounded, /*file_backed=*/false, protection);
  return absl::OkStatus();
}

absl::Status Region::Protect(size_t offset, size_t length,
                             Protection protection) {
  if (backend_ == nullptr) {
    return absl::FailedPreconditionError("protect: region was released");
  }
  const PageGeometry g = backend_->geometry();
  const char* name = backend_->traits().name;
  if (offset % g.page_size() != 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: protect %s at offset %#x (address %#x): not a multiple of the "
        "page size %s",
        name, ProtectionName(protection), offset, base_ + offset,
        FormatBytes(g.page_size())));
  }
  size_t rounded;
  if (length == 0 || !RoundUp(length, g.page_size(), &rounded)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: protect %s at offset %#x: invalid length %u", name,
                        ProtectionName(protection), offset, length));
  }
  Mapping* found = FindMapping(offset);
  if (found == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrFormat("%s: protect %s at offset %#x: nothing is mapped there",
                        name, ProtectionName(protection), offset));
  }
  Mapping& m = *found;
  const size_t end = m.offset + m.length;
  if (rounded > end - offset) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "%s: protect %s of [%#x, %#x) leaves the mapping at [%#x, %#x); a "
        "protection change must stay inside one mapping",
        name, ProtectionName(protection), offset, offset + rounded, m.offset,
        end));
  }
  GRANULE_RETURN_IF_ERROR(
      backend_->ProtectRaw(base_ + offset, rounded, protection, m.file_backed));

  // Record [offset, offset + rounded) as one run, keeping what follows it.
  const size_t run_end = offset + rounded;
  m.runs.Set(offset, run_end, protection);
  return absl::OkStatus();
}

absl::StatusOr<Region::PagesInMapping> Region::FindPagesInOneMapping(
    const std::string& operation, size_t offset, size_t length,
    bool file_backed_only) const {
  if (backend_ == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat(operation, ": region was released"));
  }
  const PageGeometry g = backend_->geometry();
  const char* name = backend_->traits().name;
  size_t rounded;
  if (offset % g.page_size() != 0 || length == 0 ||
      !RoundUp(length, g.page_size(), &rounded)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: %s of %u bytes at offset %#x: not whole pages of %s", name,
        operation, length, offset, FormatBytes(g.page_size())));
  }
  const Mapping* m = FindMapping(offset);
  if (m == nullptr || (file_backed_only && !m->file_backed) ||
      rounded > m->offset + m->length - offset) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "%s: %s of [%#x, %#x): not inside one %smapping", name, operation,
        offset, offset + rounded, file_backed_only ? "file " : ""));
  }
  return PagesInMapping{m, rounded};
}

absl::Status Region::Populate(size_t offset, size_t length) {
  GRANULE_ASSIGN_OR_RETURN(
      PagesInMapping pages,
      FindPagesInOneMapping("populate", offset, length, false));
  const size_t end = offset + pages.length;
  // Every protection run the range meets must be read-write: populating
  // writable would break copy-on-write, or fault, on anything else.
  const Mapping& m = *pages.mapping;
  for (const ProtectionRuns::Run& run : m.runs.Overlapping(offset, end)) {
    if (run.protection != Protection::kReadWrite) {
      return absl::FailedPreconditionError(absl::StrFormat(
          "%s: populate [%#x, %#x): the pages at %#x are %s, not RW",
          backend_->traits().name, offset, end, std::max(run.start, offset),
          ProtectionName(run.protection)));
    }
  }
  return backend_->PopulateRaw(base_ + offset, pages.length);
}

absl::Status Region::Advise(size_t offset, size_t length, AccessAdvice advice) {
  GRANULE_ASSIGN_OR_RETURN(
      PagesInMapping pages,
      FindPagesInOneMapping(absl::StrCat("advise ", AccessAdviceName(advice)),
                            offset, length, true));
  return backend_->AdviseRaw(base_ + offset, pages.length, advice);
}

Protection Region::ProtectionAt(size_t offset) const {
  const Mapping* m = FindMapping(offset);
  if (m == nullptr) return Protection::kNone;
  return m->runs.At(offset);
}

}  // namespace granule
