// SPDX-License-Identifier: Apache-2.0
#include "loader/image_registry.h"

#include <algorithm>
#include <atomic>
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

// Tables replaced but perhaps still held by a reader, each with the reader
// slot of the epoch its replacement ended. Once that slot is seen empty
// after the change, no reader can hold the table: readers counted there
// later saw a newer epoch, so they loaded a newer table.
struct Retired {
  const Table* table;
  uint32_t slot;
};
ABSL_CONST_INIT std::vector<Retired>* retired ABSL_GUARDED_BY(writers) =
    nullptr;
// Past this many, a writer waits for the oldest one's readers rather than
// keep more: bounded memory even when readers never pause.
constexpr size_t kMaxRetired = 8;

void FreeUnheld(bool wait_for_oldest) ABSL_EXCLUSIVE_LOCKS_REQUIRED(writers) {
  if (wait_for_oldest) {
    while (readers[retired->front().slot].load() != 0) {
      std::this_thread::yield();
    }
  }
  auto unheld = [](const Retired& r) {
    if (readers[r.slot].load() != 0) return false;
    delete r.table;
    return true;
  };
  retired->erase(std::remove_if(retired->begin(), retired->end(), unheld),
                 retired->end());
}

// Publishes `next`; the table it replaces is freed once no reader can hold
// it, at this change or a later one. A writer does not wait for readers
// unless kMaxRetired tables are waiting already.
void Publish(const Table* next) ABSL_EXCLUSIVE_LOCKS_REQUIRED(writers) {
  const Table* old = current.exchange(next);
  const uint32_t ending = epoch.load();
  epoch.store(ending + 1);
  if (old == nullptr) return;
  if (retired == nullptr) retired = new std::vector<Retired>;
  retired->push_back({old, ending & 1});
  FreeUnheld(retired->size() > kMaxRetired);
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
  const Table* old = current.load();
  auto next = new Table;
  if (old != nullptr) next->entries = old->entries;
  for (const LoadedImage* image : images) {
    next->entries.push_back(Entry{image->begin(), image->end(), image});
  }
  std::sort(next->entries.begin(), next->entries.end(),
            [](const Entry& a, const Entry& b) { return a.begin < b.begin; });
  Publish(next);
}

void ImageRegistry::Remove(const LoadedImage* image) {
  absl::MutexLock lock(&writers);
  const Table* old = current.load();
  if (old == nullptr) return;
  auto next = new Table;
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
