// SPDX-License-Identifier: Apache-2.0
// Which loaded image holds an address: what a runtime asks when it meets a
// code or data pointer (Guile keeps the same table, sorted by address).
// Every LoadedImage joins on load and leaves in its destructor.
#ifndef GRANULE_LOADER_IMAGE_REGISTRY_H_
#define GRANULE_LOADER_IMAGE_REGISTRY_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace granule {

class LoadedImage;

class ImageRegistry {
 public:
  // The process-wide registry LoadImage uses.
  static ImageRegistry& Global();

  // `image` must not overlap a registered image (regions never do).
  void Add(const LoadedImage* image);
  // Adds many under one lock: a batch of loads (LoadImages).
  void AddAll(const std::vector<const LoadedImage*>& images);
  void Remove(const LoadedImage* image);

  // The image whose region contains `address`, or null. Thread-safe; the
  // pointer stays valid until that image is destroyed, so a caller that
  // releases images on other threads must order the two itself.
  const LoadedImage* Find(uintptr_t address) const;
  size_t size() const;

 private:
  mutable absl::Mutex mutex_;
  std::map<uintptr_t, const LoadedImage*> by_begin_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace granule

#endif  // GRANULE_LOADER_IMAGE_REGISTRY_H_
