// SPDX-License-Identifier: Apache-2.0
// LoadOptions::cache: where the image cache meets the load. The path is
// decided as without a cache, once for the source and, when the shared path
// refuses it, once for the cached copy.
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "loader/image_cache.h"
#include "loader/loaded_image.h"

namespace granule {
namespace {

absl::StatusOr<PageGeometry> SharedGeometry(const LoadOptions& options) {
  if (options.shared_backend != nullptr) {
    return options.shared_backend->geometry();
  }
  absl::StatusOr<MemoryBackend*> host = HostMemoryBackend();
  if (!host.ok()) return host.status();
  return (*host)->geometry();
}

// True when the shared path maps `file` whole as it is: no copy can do
// better. A per-segment load still copies some pages, so the cache is tried.
bool SharedPathTakes(const File& file, const ElfImage& elf,
                     const PageGeometry& geometry) {
  if (file.window_start() % geometry.allocation_granularity() != 0) {
    return false;
  }
  absl::StatusOr<LoadVerdict> verdict = CheckLoad(elf, geometry);
  return verdict.ok() && verdict->shared_whole();
}

}  // namespace

absl::StatusOr<std::unique_ptr<LoadedImage>> internal::LoadThroughCache(
    const File& file, ElfImage elf, const LoadOptions& options,
    bool file_was_cached, bool register_now) {
  LoadOptions direct = options;
  direct.cache.directory.clear();
  absl::StatusOr<PageGeometry> geometry = SharedGeometry(options);
  if (options.path == LoadOptions::PathChoice::kMalloc || !geometry.ok() ||
      SharedPathTakes(file, elf, *geometry)) {
    return LoadOpenImage(file, std::move(elf), direct, file_was_cached,
                         register_now);
  }
  absl::StatusOr<CachedImage> cached =
      OpenCachedImage(file, elf, *geometry, options.cache);
  if (!cached.ok()) {
    const std::string why = absl::StrCat(
        "; the image cache was not used: ", cached.status().message());
    absl::StatusOr<std::unique_ptr<LoadedImage>> image = LoadOpenImage(
        file, std::move(elf), direct, file_was_cached, register_now);
    if (!image.ok()) {
      return absl::Status(image.status().code(),
                          absl::StrCat(image.status().message(), why));
    }
    (*image)->reason_ += why;
    return image;
  }
  // Errors and reports name the source, not the entry.
  cached->elf.path = elf.path;
  absl::StatusOr<std::unique_ptr<LoadedImage>> image =
      LoadOpenImage(cached->file, std::move(cached->elf), direct,
                    /*file_was_cached=*/false, register_now);
  if (!image.ok()) return image;
  absl::StrAppend(&(*image)->reason_, "; mapped from the cached copy ",
                  cached->entry_path, " (", CacheOutcomeName(cached->outcome),
                  "), its offsets re-laid out for ", geometry->ToString());
  if (!cached->refused.empty()) {
    absl::StrAppend(&(*image)->reason_, "; the old entry was refused: ",
                    cached->refused);
  }
  return image;
}

}  // namespace granule
