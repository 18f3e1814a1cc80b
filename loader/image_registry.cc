// SPDX-License-Identifier: Apache-2.0
#include "loader/image_registry.h"

#include <algorithm>
#include <atomic>
#include <new>
#include <thread>
#include <type_traits>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "loader/loaded_image.h"
#include "platform/mutex.h"

namespace granule {
namespace {

struct Entry {
  uintptr_t begin, end;
  const LoadedImage* image;
};

// Never changed while published. The header and its entries are one block,
// with room to spare so that a retired table can hold the next one.
class Table {
 public:
  static Table* New(size_t size) {
    const size_t capacity = size + size / 2 + 16;
    void* block = ::operator new(sizeof(Table) + capacity * sizeof(Entry));
    return new (block) Table(capacity, size);
  }
  static void Delete(Table* table) {
    if (table != nullptr) ::operator delete(table);
  }
  size_t size() const { return size_; }
  // Whether this block suits a table of `size` entries: it holds them and
  // is not far larger (a registry that shrank gives the memory back).
  bool Fits(size_t size) const {
    return size <= capacity_ && capacity_ <= 4 * size + 64;
  }
  void Resize(size_t size) { size_ = size; }  // Fits(size); unpublished.
  // Sorted by begin, never overlapping.
  Entry* begin() { return reinterpret_cast<Entry*>(this + 1); }
  Entry* end() { return begin() + size_; }
  const Entry* begin() const { return reinterpret_cast<const Entry*>(this + 1); }
  const Entry* end() const { return begin() + size_; }

 private:
  Table(size_t capacity, size_t size) : capacity_(capacity), size_(size) {}
  size_t capacity_;
  size_t size_;
};

static_assert(std::is_trivially_copyable_v<Entry> &&
              std::is_trivially_destructible_v<Table>);
static_assert(alignof(Entry) <= alignof(Table) &&
              sizeof(Table) % alignof(Entry) == 0);

static_assert(std::atomic<Table*>::is_always_lock_free);
static_assert(std::atomic<uint32_t>::is_always_lock_free);

// The process's one registry state, constant-initialized so that a lookup
// from a signal handler before any load finds it ready. Never destroyed:
// threads may still look up while the process exits.
std::atomic<Table*> current{nullptr};
std::atomic<uint32_t> epoch{0};
std::atomic<uint32_t> readers[2] = {};

// The writers' lock, made on first use and never destroyed, like the state
// above: a release may run while the process exits.
Mutex& Writers() {
  static Mutex* const writers = new Mutex;
  return *writers;
}

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
void WaitForReaders() ABSL_EXCLUSIVE_LOCKS_REQUIRED(Writers()) {
  for (int flip = 0; flip < 2; ++flip) {
    const uint32_t ending = epoch.load();
    epoch.store(ending + 1);
    while (readers[ending & 1].load() != 0) std::this_thread::yield();
  }
}

// The last table retired: no lookup can hold it, so the next change may be
// written into it. A registry that changes at every load and release then
// allocates only when it outgrows its tables (each new block also meant
// fresh heap pages, faulted in as the table was copied).
Table* spare ABSL_GUARDED_BY(Writers()) = nullptr;

// An unpublished table of `size` entries, to be filled and published.
Table* TableFor(size_t size) ABSL_EXCLUSIVE_LOCKS_REQUIRED(Writers()) {
  if (spare != nullptr && spare->Fits(size)) {
    Table* table = std::exchange(spare, nullptr);
    table->Resize(size);
    return table;
  }
  return Table::New(size);
}

// Publishes `next`; the table it replaces becomes the spare once no lookup
// holds it.
void Publish(Table* next) ABSL_EXCLUSIVE_LOCKS_REQUIRED(Writers()) {
  Table* old = current.exchange(next);
  if (old == nullptr) return;
  WaitForReaders();
  Table::Delete(spare);
  spare = old;
}

const Entry* FindEntry(const Table& table, uintptr_t address) {
  // The last entry beginning at or below `address`.
  const Entry* it = std::upper_bound(
      table.begin(), table.end(), address,
      [](uintptr_t a, const Entry& entry) { return a < entry.begin; });
  if (it == table.begin()) return nullptr;
  --it;
  return address < it->end ? it : nullptr;
}

bool ByAddress(const Entry& a, const Entry& b) { return a.begin < b.begin; }

// The table holding the entries of `old` (may be null) and `added`, sorted:
// each added entry placed by binary search, the old entries between them
// copied in blocks. An add stays linear in the table's size with few
// comparisons, which matters to a runtime holding thousands of images.
Table* Merged(const Table* old, const Entry* added, size_t count)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(Writers()) {
  const Entry* from = old != nullptr ? old->begin() : nullptr;
  const Entry* const last = old != nullptr ? old->end() : nullptr;
  Table* next = TableFor(static_cast<size_t>(last - from) + count);
  Entry* out = next->begin();
  for (const Entry* e = added; e != added + count; ++e) {
    const Entry* at = std::upper_bound(from, last, *e, ByAddress);
    out = std::copy(from, at, out);
    *out++ = *e;
    from = at;
  }
  std::copy(from, last, out);
  return next;
}

}  // namespace

ImageRegistry& ImageRegistry::Global() {
  static ImageRegistry registry;  // Constant-initialized: no guard, no lock.
  return registry;
}

void ImageRegistry::Add(const LoadedImage* image) {
  const Entry added{image->begin(), image->end(), image};
  MutexLock lock(&Writers());
  Publish(Merged(current.load(), &added, 1));
}

// One new table for the whole batch: readers see all of it or none of it,
// and a batch of N loads publishes (and retires) one table, not N.
void ImageRegistry::AddAll(const std::vector<const LoadedImage*>& images) {
  if (images.empty()) return;
  std::vector<Entry> added;
  added.reserve(images.size());
  for (const LoadedImage* image : images) {
    added.push_back(Entry{image->begin(), image->end(), image});
  }
  std::sort(added.begin(), added.end(), ByAddress);
  MutexLock lock(&Writers());
  Publish(Merged(current.load(), added.data(), added.size()));
}

void ImageRegistry::Remove(const LoadedImage* image) {
  MutexLock lock(&Writers());
  const Table* old = current.load();
  if (old == nullptr) return;
  // Entries never overlap, so the image's begin finds its one entry; a
  // search of the whole table is only the fallback.
  const Entry* at = FindEntry(*old, image->begin());
  if (at == nullptr || at->image != image) {
    at = std::find_if(old->begin(), old->end(),
                      [image](const Entry& e) { return e.image == image; });
    if (at == old->end()) return;
  }
  Table* next = TableFor(old->size() - 1);
  std::copy(at + 1, old->end(), std::copy(old->begin(), at, next->begin()));
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
  return table != nullptr ? table->size() : 0;
}

size_t ImageRegistry::List(const LoadedImage** out, size_t capacity) const {
  ReadGuard guard;
  const Table* table = current.load();
  if (table == nullptr) return 0;
  const size_t n = table->size();
  for (size_t i = 0; i < n && i < capacity; ++i) {
    out[i] = table->begin()[i].image;
  }
  return n;
}

}  // namespace granule
