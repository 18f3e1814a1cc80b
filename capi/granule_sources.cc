// SPDX-License-Identifier: Apache-2.0
// Where an image can come from besides a path: an open descriptor, a window
// of one, a buffer copied or used in place. Each
// source becomes a platform File and an ElfImage, then the loader's one
// LoadImage, so every source gets the same checks and errors.
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "capi/capi_internal.h"
#include "capi/granule.h"
#include "loader/elf/elf_image.h"
#include "loader/loaded_image.h"
#include "platform/file.h"
#include "platform/memory/in_place_backend.h"
#include "platform/status_macros.h"

namespace granule::capi {
namespace {

absl::Status LoadFromFile(const File& file, const LoadOptions& options,
                          granule_image** image) {
  GRANULE_ASSIGN_OR_RETURN(std::unique_ptr<LoadedImage> loaded,
                           LoadImage(file, options));
  *image = reinterpret_cast<granule_image*>(loaded.release());
  return absl::OkStatus();
}

// The caller's buffer as a File, named by `name` or by its address.
granule::File MemoryFile(const char* name, const void* data, uint64_t size) {
  return granule::File::OverMemory(
      name != nullptr ? std::string(name)
                      : absl::StrFormat("memory at %p", data),
      static_cast<const uint8_t*>(data), size);
}

// What granule_load_memory_in_place needs of the caller's buffer, checked
// before anything is written to it.
absl::Status CheckInPlace(const ElfImage& elf, const void* data, uint64_t size,
                          const LoadOptions& options) {
  if (options.path == LoadOptions::PathChoice::kShared) {
    return absl::InvalidArgumentError(absl::StrCat(
        elf.path, ": options.path GRANULE_PATH_SHARED (or require_shared): an "
                  "image in place is never on the shared path"));
  }
  if (elf.layout != Layout::kOneToOne) {
    return absl::InvalidArgumentError(absl::StrCat(
        elf.path, ": in place needs the 1:1 layout (p_offset == p_vaddr), but "
                  "the layout is ", LayoutName(elf.layout)));
  }
  const uint64_t align = elf.max_load_align();
  if (reinterpret_cast<uintptr_t>(data) % align != 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: data %p is not aligned to p_align %s, the image's largest",
        elf.path, data, FormatBytes(align)));
  }
  if (elf.load_end() > size) {
    return absl::OutOfRangeError(absl::StrFormat(
        "%s: the segments end at 0x%x (p_memsz included) but size is 0x%x",
        elf.path, elf.load_end(), size));
  }
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
    GRANULE_ASSIGN_OR_RETURN(granule::LoadOptions load_options,
                             granule::capi::ToLoadOptions(function, options));
    const std::string file_name =
        name != nullptr ? std::string(name) : absl::StrCat("fd ", fd);
    GRANULE_ASSIGN_OR_RETURN(granule::File file,
                             granule::File::ForDescriptor(fd, file_name));
    return granule::capi::LoadFromFile(file, load_options, image);
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
    GRANULE_ASSIGN_OR_RETURN(granule::LoadOptions load_options,
                             granule::capi::ToLoadOptions(function, options));
    const std::string file_name =
        name != nullptr ? std::string(name)
                        : absl::StrCat("fd ", fd, " at offset ", offset);
    GRANULE_ASSIGN_OR_RETURN(granule::File file,
                             granule::File::ForDescriptor(fd, file_name));
    GRANULE_RETURN_IF_ERROR(file.RestrictToWindow(offset, length));
    return granule::capi::LoadFromFile(file, load_options, image);
  });
}

granule_status granule_load_memory(const void* data, uint64_t size,
                                   const char* name,
                                   const granule_load_options* options,
                                   granule_image** image) {
  const char* const function = __func__;
  if (image == nullptr) return NullArgument(function, "image");
  *image = nullptr;
  if (data == nullptr) return NullArgument(function, "data");
  return Guard(function, [&]() -> absl::Status {
    GRANULE_ASSIGN_OR_RETURN(granule::LoadOptions load_options,
                             granule::capi::ToLoadOptions(function, options));
    // No file to map: the shared path's layout and protections over copied
    // bytes, or the heap copy.
    load_options.copy_file_bytes = true;
    const granule::File file = granule::capi::MemoryFile(name, data, size);
    return granule::capi::LoadFromFile(file, load_options, image);
  });
}

granule_status granule_load_memory_in_place(void* data, uint64_t size,
                                            const char* name,
                                            const granule_load_options* options,
                                            granule_image** image) {
  const char* const function = __func__;
  if (image == nullptr) return NullArgument(function, "image");
  *image = nullptr;
  if (data == nullptr) return NullArgument(function, "data");
  return Guard(function, [&]() -> absl::Status {
    GRANULE_ASSIGN_OR_RETURN(granule::LoadOptions load_options,
                             granule::capi::ToLoadOptions(function, options));
    const granule::File file = granule::capi::MemoryFile(name, data, size);
    GRANULE_ASSIGN_OR_RETURN(granule::ElfImage elf,
                             granule::ReadElfImage(file));
    GRANULE_RETURN_IF_ERROR(
        granule::capi::CheckInPlace(elf, data, size, load_options));
    auto backend = std::make_shared<granule::InPlaceBackend>(
        static_cast<uint8_t*>(data), size,
        load_options.map_whole_file ? 0 : elf.load_start());
    load_options.path = granule::LoadOptions::PathChoice::kMalloc;
    load_options.malloc_backend = backend.get();
    load_options.owned_backend = std::move(backend);
    GRANULE_ASSIGN_OR_RETURN(
        std::unique_ptr<granule::LoadedImage> loaded,
        granule::LoadImage(file, std::move(elf), load_options));
    *image = reinterpret_cast<granule_image*>(loaded.release());
    return absl::OkStatus();
  });
}

}  // extern "C"
