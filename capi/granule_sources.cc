// SPDX-License-Identifier: Apache-2.0
// Where an image can come from besides a path: an open descriptor, a window
// of one. Each
// source becomes a platform File and an ElfImage, then the loader's one
// LoadImage, so every source gets the same checks and errors.
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "capi/capi_internal.h"
#include "capi/granule.h"
#include "loader/elf_image.h"
#include "loader/loaded_image.h"
#include "platform/file.h"

namespace granule::capi {
namespace {

absl::Status LoadFromFile(const File& file, const LoadOptions& options,
                          granule_image** image) {
  absl::StatusOr<ElfImage> elf = ReadElfImage(file);
  if (!elf.ok()) return elf.status();
  absl::StatusOr<std::unique_ptr<LoadedImage>> loaded =
      LoadImage(file, *std::move(elf), options);
  if (!loaded.ok()) return loaded.status();
  *image = reinterpret_cast<granule_image*>(loaded->release());
  return absl::OkStatus();
}

}  // namespace
}  // namespace granule::capi

using granule::capi::Guard;
using granule::capi::NullArgument;

extern "C" {

granule_status granule_load_fd(int fd, const char* name,
                               const granule_load_options* options,
                               granule_image** image) {
  const char* const function = __func__;
  if (image == nullptr) return NullArgument(function, "image");
  *image = nullptr;
  return Guard(function, [&]() -> absl::Status {
    absl::StatusOr<granule::LoadOptions> load_options =
        granule::capi::ToLoadOptions(function, options);
    if (!load_options.ok()) return load_options.status();
    const std::string file_name =
        name != nullptr ? std::string(name) : absl::StrCat("fd ", fd);
    absl::StatusOr<granule::File> file =
        granule::File::DuplicateDescriptor(fd, file_name);
    if (!file.ok()) return file.status();
    return granule::capi::LoadFromFile(*file, *load_options, image);
  });
}

granule_status granule_load_fd_range(int fd, const char* name, uint64_t offset,
                                     uint64_t length,
                                     const granule_load_options* options,
                                     granule_image** image) {
  const char* const function = __func__;
  if (image == nullptr) return NullArgument(function, "image");
  *image = nullptr;
  return Guard(function, [&]() -> absl::Status {
    absl::StatusOr<granule::LoadOptions> load_options =
        granule::capi::ToLoadOptions(function, options);
    if (!load_options.ok()) return load_options.status();
    const std::string file_name =
        name != nullptr ? std::string(name)
                        : absl::StrCat("fd ", fd, " at offset ", offset);
    absl::StatusOr<granule::File> file =
        granule::File::DuplicateDescriptor(fd, file_name);
    if (!file.ok()) return file.status();
    if (absl::Status s = file->RestrictToWindow(offset, length); !s.ok()) {
      return s;
    }
    return granule::capi::LoadFromFile(*file, *load_options, image);
  });
}

}  // extern "C"
