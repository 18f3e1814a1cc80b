// SPDX-License-Identifier: Apache-2.0
#include "loader/image_registry.h"

#include <algorithm>
#include <atomic>
#include <iterator>
#include <thread>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/base/const_init.h"
#include "absl/synchronization/mutex.h"
#include "loader/loaded_image.h"

namespace granule {
namespace {

struct Entry {
  uintptr_t begin, end;
  const LoadedImage* image;
};

// Never changed once published.
struct Table {
  std::vector<Entry> entries;  // Sorted by begin, never overlapping.
};

static_assert(std::atomic<const Table*>::is_always_lock_free);
static_assert(std::atomic<uint32_t>::is_always_lock_free);

// The process's one registry state, constant-initialized so that a lookup
// from a signal handler before any load finds it ready. Never destroyed:
// threads may still look up while the process exits.
std::atomic<const Table*> current{nullptr};
std::atomic<uint32_t> epoch{0};
std::atomic<uint32_t> readers[2] = {};
ABSL_CONST_INIT absl::Mutex writers(absl::kConstInit);

// Counts a reader in the slot of the epoch it saw, rechecking the epoch
// after counting: a reader counted under an epoch is one the writer that
// ends that epoch waits for.
class ReadGuard {
 public:
  ReadGuard() {
    for (;;) {
      const uint32_t seen = epoch.load();
      slot_ = seen & 1;
      readers[slot_].fetch_add(1);
      if (epoch.load() == seen) return;
      readers[slot_].fetch_sub(1);
    }
  }
  ~ReadGuard() { readers[slot_].fetch_sub(1); }
  ReadGuard(const ReadGuard&) = delete;
  ReadGuard& operator=(const ReadGuard&) = delete;

 private:
  uint32_t slot_;
};

// Waits until no lookup can still hold a table that `current` no longer
// points to. A reader holding it counted itself under an epoch no later
// than the present one, E, in slot E&1, or (a reader of epoch E-1 not yet
// done) in the other slot. Ending E and seeing slot E&1 empty, then ending
// E+1 and seeing the other slot empty, outlasts both: a reader counted
// after an epoch ended rechecked the new epoch, so it loaded the new table.
// Readers that arrive meanwhile count in the other slot than the one
// awaited, so the wait cannot starve. A lookup is one binary search.
void WaitForReaders() ABSL_EXCLUSIVE_LOCKS_REQUIRED(writers) {
  for (int flip = 0; flip < 2; ++flip) {
    const uint32_t ending = epoch.load();
    epoch.store(ending + 1);
    while (readers[ending & 1].load() != 0) std::this_thread::yield();
  }
}

// Publishes `next` and frees the table it replaces once no lookup holds it.
void Publish(const Table* next) ABSL_EXCLUSIVE_LOCKS_REQUIRED(writers) {
  const Table* old = current.exchange(next);
  if (old == nullptr) return;
  WaitForReaders();
  delete old;
}

const Entry* FindEntry(const Table& table, uintptr_t address) {
  const std::vector<Entry>& e = table.entries;
  // The last entry beginning at or below `address`.
  auto it = std::upper_bound(
      e.begin(), e.end(), address,
      [](uintptr_t a, const Entry& entry) { return a < entry.begin; });
  if (it == e.begin()) return nullptr;
  --it;
  return address < it->end ? &*it : nullptr;
}

}  // namespace

ImageRegistry& ImageRegistry::Global() {
  static ImageRegistry registry;  // Constant-initialized: no guard, no lock.
  return registry;
}

void ImageRegistry::Add(const LoadedImage* image) { AddAll({image}); }

// One new table for the whole batch: readers see all of it or none of it,
// and a batch of N loads publishes (and retires) one table, not N.
void ImageRegistry::AddAll(const std::vector<const LoadedImage*>& images) {
  if (images.empty()) return;
  absl::MutexLock lock(&writers);
  std::vector<Entry> added;
  added.reserve(images.size());
  for (const LoadedImage* image : images) {
    added.push_back(Entry{image->begin(), image->end(), image});
  }
  auto by_address = [](const Entry& a, const Entry& b) {
    return a.begin < b.begin;
  };
  std::sort(added.begin(), added.end(), by_address);
  // The table is sorted already: merging keeps an add linear in its size
  // (sorting it whole each time grew with every image a runtime held).
  const Table* old = current.load();
  auto next = new Table;
  const size_t held = old != nullptr ? old->entries.size() : 0;
  next->entries.reserve(held + added.size());
  if (old == nullptr) {
    next->entries = std::move(added);
  } else {
    std::merge(old->entries.begin(), old->entries.end(), added.begin(),
               added.end(), std::back_inserter(next->entries), by_address);
  }
  Publish(next);
}

void ImageRegistry::Remove(const LoadedImage* image) {
  absl::MutexLock lock(&writers);
  const Table* old = current.load();
  if (old == nullptr) return;
  auto next = new Table;
  next->entries.reserve(old->entries.size());
  for (const Entry& e : old->entries) {
    if (e.image != image) next->entries.push_back(e);
  }
  Publish(next);
}

const LoadedImage* ImageRegistry::Find(uintptr_t address) const {
  ReadGuard guard;
  const Table* table = current.load();
  if (table == nullptr) return nullptr;
  const Entry* entry = FindEntry(*table, address);
  return entry != nullptr ? entry->image : nullptr;
}

size_t ImageRegistry::size() const {
  ReadGuard guard;
  const Table* table = current.load();
  return table != nullptr ? table->entries.size() : 0;
}

size_t ImageRegistry::List(const LoadedImage** out, size_t capacity) const {
  ReadGuard guard;
  const Table* table = current.load();
  if (table == nullptr) return 0;
  const size_t n = table->entries.size();
  for (size_t i = 0; i < n && i < capacity; ++i) {
    out[i] = table->entries[i].image;
  }
  return n;
}

}  // namespace granule
