// SPDX-License-Identifier: Apache-2.0
#include "platform/memory/address_arena.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <utility>

#include "absl/strings/str_format.h"
#include "platform/checked.h"
#include "platform/status_macros.h"

namespace granule {
namespace {

// `unit` is a power of two. Empty when the rounded value does not fit a
// size_t (a uint64_t sum can exceed a 32-bit size_t).
std::optional<size_t> RoundUpTo(size_t value, size_t unit) {
  std::optional<uint64_t> rounded = checked::AlignUp(value, unit);
  if (!rounded || *rounded > SIZE_MAX) return std::nullopt;
  return static_cast<size_t>(*rounded);
}

// A region size too large to round up is cut to the largest whole unit.
size_t RegionSize(size_t requested, size_t unit) {
  return RoundUpTo(std::max(requested, unit), unit)
      .value_or(checked::AlignDown(SIZE_MAX, unit));
}

}  // namespace

std::shared_ptr<AddressArena> AddressArena::Create(MemoryBackend& backend,
                                                   size_t region_size) {
  return std::shared_ptr<AddressArena>(new AddressArena(backend, region_size));
}

AddressArena::AddressArena(MemoryBackend& backend, size_t region_size)
    : backend_(backend),
      region_size_(RegionSize(region_size, kSlotUnit)) {}

// Slots hold a reference, so by now every slot was returned; the chunks'
// Regions release the reservations.
AddressArena::~AddressArena() = default;

uintptr_t AddressArena::TakeFrom(Chunk& chunk, size_t size,
                                 size_t alignment) {
  for (auto it = chunk.free.begin(); it != chunk.free.end(); ++it) {
    const uintptr_t start = it->first;
    const size_t length = it->second;
    const std::optional<size_t> rounded = RoundUpTo(start, alignment);
    if (!rounded || *rounded - start > length ||
        size > length - (*rounded - start)) {
      continue;
    }
    const uintptr_t aligned = *rounded;
    const uintptr_t tail = aligned + size;
    const size_t tail_length = start + length - tail;
    chunk.free.erase(it);
    if (aligned > start) chunk.free[start] = aligned - start;
    if (tail_length > 0) chunk.free[tail] = tail_length;
    return aligned;
  }
  return 0;
}

absl::StatusOr<Region> AddressArena::NewSlot(uintptr_t base, size_t size) {
  Region slot(&backend_, base, size);
  slot.arena_ = shared_from_this();
  backend_.live_regions_.fetch_add(1);
  ++live_slots_;
  slot_bytes_ += size;
  return slot;
}

absl::StatusOr<Region> AddressArena::Reserve(size_t size, size_t alignment) {
  const PageGeometry g = backend_.geometry();
  if (size == 0 || !IsPowerOfTwo(alignment)) {
    return backend_.Reserve(size, alignment);  // For its error.
  }
  const size_t unit = std::max(kSlotUnit, g.allocation_granularity());
  alignment = std::max(alignment, unit);
  if (size > SIZE_MAX - alignment) return backend_.Reserve(size, alignment);
  // Cannot overflow: size <= SIZE_MAX - alignment, and unit <= alignment.
  const size_t rounded = *RoundUpTo(size, unit);
  MutexLock lock(&mutex_);
  if (!carves()) {
    GRANULE_ASSIGN_OR_RETURN(Region region,
                             backend_.Reserve(rounded, alignment));
    region.arena_ = shared_from_this();
    ++live_slots_;
    slot_bytes_ += region.size();
    return region;
  }
  for (const std::unique_ptr<Chunk>& chunk : chunks_) {
    if (const uintptr_t base = TakeFrom(*chunk, rounded, alignment)) {
      return NewSlot(base, rounded);
    }
  }
  // A new region, large enough for this slot at its alignment.
  GRANULE_ASSIGN_OR_RETURN(
      Region region,
      backend_.Reserve(std::max(region_size_, rounded), alignment));
  auto chunk = std::make_unique<Chunk>(Chunk{std::move(region), {}});
  chunk->free[chunk->region.base()] = chunk->region.size();
  const uintptr_t base = TakeFrom(*chunk, rounded, alignment);
  auto at = std::lower_bound(
      chunks_.begin(), chunks_.end(), chunk->region.base(),
      [](const std::unique_ptr<Chunk>& c, uintptr_t b) {
        return c->region.base() < b;
      });
  chunks_.insert(at, std::move(chunk));
  return NewSlot(base, rounded);
}

void AddressArena::ReturnSlot(uintptr_t base, size_t size) {
  MutexLock lock(&mutex_);
  --live_slots_;
  slot_bytes_ -= size;
  if (!carves()) return;
  for (auto c = chunks_.begin(); c != chunks_.end(); ++c) {
    Chunk& chunk = **c;
    if (base < chunk.region.base() ||
        base - chunk.region.base() >= chunk.region.size()) {
      continue;
    }
    // Merge with the free ranges on either side.
    uintptr_t start = base;
    size_t length = size;
    auto next = chunk.free.lower_bound(base);
    if (next != chunk.free.end() && next->first == base + size) {
      length += next->second;
      next = chunk.free.erase(next);
    }
    if (next != chunk.free.begin()) {
      auto previous = std::prev(next);
      if (previous->first + previous->second == base) {
        start = previous->first;
        length += previous->second;
        chunk.free.erase(previous);
      }
    }
    chunk.free[start] = length;
    // A wholly free region beyond the first goes back to the system, so the
    // arena shrinks after a peak.
    if (length == chunk.region.size() && chunks_.size() > 1) chunks_.erase(c);
    return;
  }
}

AddressArena::Usage AddressArena::usage() const {
  MutexLock lock(&mutex_);
  if (!carves()) return {live_slots_, slot_bytes_, slot_bytes_, live_slots_};
  Usage usage{chunks_.size(), 0, slot_bytes_, live_slots_};
  for (const std::unique_ptr<Chunk>& chunk : chunks_) {
    usage.reserved_bytes += chunk->region.size();
  }
  return usage;
}

}  // namespace granule
