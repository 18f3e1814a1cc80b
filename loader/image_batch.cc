// SPDX-License-Identifier: Apache-2.0
#include "loader/image_batch.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "platform/file.h"

namespace granule {
namespace {

// The batch's options: the shared backend resolved once. A backend that
// cannot be had leaves the options as they were, so each load reports that
// error itself.
LoadOptions BatchOptions(const LoadOptions& options) {
  LoadOptions batch = options;
  if (batch.path == LoadOptions::PathChoice::kMalloc ||
      batch.shared_backend != nullptr) {
    return batch;
  }
  absl::StatusOr<MemoryBackend*> host = HostMemoryBackend();
  if (host.ok()) batch.shared_backend = *host;
  return batch;
}

// Every error of a batch names its file; the loader's already do, an init
// hook's might not.
absl::Status NamingPath(const std::string& path, const absl::Status& status) {
  if (absl::StrContains(status.message(), path)) return status;
  return absl::Status(status.code(),
                      absl::StrCat(path, ": ", status.message()));
}

}  // namespace

std::vector<absl::StatusOr<std::unique_ptr<LoadedImage>>> LoadImages(
    absl::Span<const std::string> paths, const LoadOptions& options) {
  const LoadOptions batch = BatchOptions(options);
  std::vector<absl::StatusOr<std::unique_ptr<LoadedImage>>> images;
  images.reserve(paths.size());
  std::vector<LoadedImage*> loaded;
  loaded.reserve(paths.size());
  for (const std::string& path : paths) {
    absl::StatusOr<File> file = File::OpenForReading(path);
    absl::StatusOr<std::unique_ptr<LoadedImage>> image =
        file.ok() ? internal::ReadAndLoad(*file, batch, /*register_now=*/false)
                  : file.status();
    if (image.ok()) {
      loaded.push_back(image->get());
    } else {
      image = NamingPath(path, image.status());
    }
    images.push_back(std::move(image));
  }
  internal::RegisterAll(loaded);
  return images;
}

}  // namespace granule
