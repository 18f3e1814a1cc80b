// SPDX-License-Identifier: Apache-2.0
// What map_whole_file gives a caller: the file's bytes in place, and
// sections outside the PT_LOAD segments found by name in them.
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "capi/capi_internal.h"
#include "capi/granule.h"
#include "loader/elf/elf_format.h"
#include "loader/loaded_image.h"

namespace granule::capi {

absl::StatusOr<absl::Span<const uint8_t>> SectionInPlace(
    const LoadedImage& image, const std::string& name) {
  absl::StatusOr<absl::Span<const uint8_t>> loaded = image.SectionBytes(name);
  const absl::Span<const uint8_t> file = image.file_bytes();
  if (loaded.ok() || !absl::IsNotFound(loaded.status()) || file.empty()) {
    return loaded;
  }
  const Section* section = image.elf().FindSection(name);
  if (section == nullptr || section->type == elf::kShtNobits ||
      section->type == elf::kShtNull) {
    return absl::NotFoundError(absl::StrFormat(
        "%s: no section named '%s' with bytes in the file",
        image.elf().path, name));
  }
  // The reader checked that every section with file bytes lies in the file.
  return file.subspan(section->offset, section->size);
}

}  // namespace granule::capi

using granule::capi::Guard;
using granule::capi::NullArgument;

extern "C" {

granule_status granule_image_file_bytes(const granule_image* image,
                                        const void** data, uint64_t* size) {
  const char* const function = __func__;
  if (image == nullptr) return NullArgument(function, "image");
  return Guard(function, [&]() -> absl::Status {
    const auto& loaded = *reinterpret_cast<const granule::LoadedImage*>(image);
    const absl::Span<const uint8_t> file = loaded.file_bytes();
    if (file.empty()) {
      return absl::FailedPreconditionError(absl::StrFormat(
          "%s: %s: the image was loaded without options.map_whole_file",
          function, loaded.elf().path));
    }
    if (data != nullptr) *data = file.data();
    if (size != nullptr) *size = file.size();
    return absl::OkStatus();
  });
}

}  // extern "C"
