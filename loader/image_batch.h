// SPDX-License-Identifier: Apache-2.0
// Loading many images at once, as a runtime loads a directory of modules at
// startup: one address-space arena for all of them (no reservation per
// image), the host's backend looked up once, and one registry update for the
// batch. Each file fails alone, with an error naming it; the others load.
#ifndef GRANULE_LOADER_IMAGE_BATCH_H_
#define GRANULE_LOADER_IMAGE_BATCH_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "loader/loaded_image.h"

namespace granule {

// Loads each of `paths` as LoadImage would with `options`, in order. Entry i
// of the result is paths[i]'s image or its error, which names paths[i].
// Without options.arena the batch makes one over the shared path's backend,
// kept alive by the images carved from it. Init hooks run per image as it
// loads; the images join the registry together after the last load.
std::vector<absl::StatusOr<std::unique_ptr<LoadedImage>>> LoadImages(
    absl::Span<const std::string> paths, const LoadOptions& options = {});

}  // namespace granule

#endif  // GRANULE_LOADER_IMAGE_BATCH_H_
