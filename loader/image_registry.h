// SPDX-License-Identifier: Apache-2.0
// Which loaded image holds an address: what a runtime asks when it meets a
// code or data pointer (Guile keeps the same table, sorted by address).
// Every LoadedImage joins on load and leaves in its destructor.
//
// Lookups take no lock and allocate nothing, so a signal handler may make
// them: the table is an immutable array sorted by address, published through
// an atomic pointer. A change (under a writers' mutex) publishes a new array;
// after a grace period the old one is kept to write the next change into,
// so a change allocates only when the table outgrows it. For the grace
// period readers count themselves in one of two slots chosen by an epoch,
// and the writer ends the epoch twice, each time waiting for the slot it
// ended to empty. A reader retries only
// when a writer advances the epoch under it, so lookups never wait for a
// writer; a writer waits only for the lookups already under way.
#ifndef GRANULE_LOADER_IMAGE_REGISTRY_H_
#define GRANULE_LOADER_IMAGE_REGISTRY_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace granule {

class LoadedImage;

class ImageRegistry {
 public:
  // The process-wide registry LoadImage uses. Constant-initialized: calling
  // it allocates nothing, not even the first time.
  static ImageRegistry& Global();

  // `image` must not overlap a registered image (regions never do). They
  // take the writers' mutex and wait for earlier readers: not for signal
  // handlers.
  void Add(const LoadedImage* image);
  // Adds many under one lock: a batch of loads (LoadImages).
  void AddAll(const std::vector<const LoadedImage*>& images);
  void Remove(const LoadedImage* image);

  // The image whose region contains `address`, or null. Lock-free and
  // async-signal-safe. The pointer stays valid until that image is
  // destroyed, so a caller that releases images on other threads must order
  // the two itself.
  const LoadedImage* Find(uintptr_t address) const;
  size_t size() const;  // Lock-free and async-signal-safe too.
  // Copies up to `capacity` registered images, by address, from one
  // consistent table into `out`; returns how many are registered. Lock-free
  // and async-signal-safe.
  size_t List(const LoadedImage** out, size_t capacity) const;

  constexpr ImageRegistry() = default;
};

}  // namespace granule

#endif  // GRANULE_LOADER_IMAGE_REGISTRY_H_
