// SPDX-License-Identifier: Apache-2.0
// LoadOptions::cache: where the image cache meets the load. The path is
// decided as without a cache, once for the source and, when the shared path
// would not map it whole, once for the cached copy.
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "loader/image_cache.h"
#include "loader/loaded_image.h"
#include "platform/status_macros.h"

namespace granule {

absl::StatusOr<std::unique_ptr<LoadedImage>> internal::LoadThroughCache(
    const File& file, ElfImage elf, const LoadOptions& options,
    bool file_was_cached, bool register_now) {
  LoadOptions direct = options;
  direct.cache.directory.clear();
  const std::optional<PageGeometry> geometry =
      GeometryNotMappedWhole(file, elf, options);
  if (!geometry) {
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
    (*image)->options_noted_ += why;
    return image;
  }
  // Errors and reports name the source, not the entry.
  cached->elf.path = elf.path;
  GRANULE_ASSIGN_OR_RETURN(
      std::unique_ptr<LoadedImage> image,
      LoadOpenImage(cached->file, std::move(cached->elf), direct,
                    /*file_was_cached=*/false, register_now));
  absl::StrAppend(&image->options_noted_, "; mapped from the cached copy ",
                  cached->entry_path, " (", CacheOutcomeName(cached->outcome),
                  "), its offsets re-laid out for ", geometry->ToString());
  if (!cached->refused.empty()) {
    absl::StrAppend(&image->options_noted_,
                    "; the old entry was refused: ", cached->refused);
  }
  return image;
}

}  // namespace granule
