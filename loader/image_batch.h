// SPDX-License-Identifier: Apache-2.0
// Loading many images at once, as a runtime loads a directory of modules at
// startup: the host's backend looked up once, and one registry update for
// the batch. Each file fails alone, with an error naming it; the others load.
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
// With options.arena the images are carved from it; without, each is placed
// as LoadImage places it (on POSIX, one mmap where the address below the
// last image is free), which measured faster for the whole Guile corpus
// than carving it from an arena. Init hooks run per image as it loads; the
// images join the registry together after the last load.
std::vector<absl::StatusOr<std::unique_ptr<LoadedImage>>> LoadImages(
    absl::Span<const std::string> paths, const LoadOptions& options = {});

}  // namespace granule

#endif  // GRANULE_LOADER_IMAGE_BATCH_H_
