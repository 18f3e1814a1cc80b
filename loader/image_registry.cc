// SPDX-License-Identifier: Apache-2.0
#include "loader/image_registry.h"

#include "loader/loaded_image.h"

namespace granule {

ImageRegistry& ImageRegistry::Global() {
  static ImageRegistry* registry = new ImageRegistry;  // Never destroyed.
  return *registry;
}

void ImageRegistry::Add(const LoadedImage* image) {
  absl::MutexLock lock(&mutex_);
  by_begin_[image->begin()] = image;
}

void ImageRegistry::AddAll(const std::vector<const LoadedImage*>& images) {
  absl::MutexLock lock(&mutex_);
  for (const LoadedImage* image : images) by_begin_[image->begin()] = image;
}

void ImageRegistry::Remove(const LoadedImage* image) {
  absl::MutexLock lock(&mutex_);
  auto it = by_begin_.find(image->begin());
  if (it != by_begin_.end() && it->second == image) by_begin_.erase(it);
}

const LoadedImage* ImageRegistry::Find(uintptr_t address) const {
  absl::MutexLock lock(&mutex_);
  auto it = by_begin_.upper_bound(address);
  if (it == by_begin_.begin()) return nullptr;
  --it;
  return it->second->Contains(address) ? it->second : nullptr;
}

size_t ImageRegistry::size() const {
  absl::MutexLock lock(&mutex_);
  return by_begin_.size();
}

}  // namespace granule
