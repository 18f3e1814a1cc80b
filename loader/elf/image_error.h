// SPDX-License-Identifier: Apache-2.0
// Errors about an image: "<path>: <what is wrong, with the field and value>".
#ifndef GRANULE_LOADER_ELF_IMAGE_ERROR_H_
#define GRANULE_LOADER_ELF_IMAGE_ERROR_H_

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "loader/elf/elf_image.h"

namespace granule {

template <typename... Args>
absl::Status InvalidImage(const ElfImage& image,
                          const absl::FormatSpec<Args...>& format,
                          const Args&... args) {
  return absl::InvalidArgumentError(
      absl::StrCat(image.path, ": ", absl::StrFormat(format, args...)));
}

}  // namespace granule

#endif  // GRANULE_LOADER_ELF_IMAGE_ERROR_H_
