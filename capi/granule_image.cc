// SPDX-License-Identifier: Apache-2.0
// granule_load, the queries on a loaded image, and the registry. A
// granule_image* is the LoadedImage itself, so the registry's answer needs no
// second table to become a handle.
#include <cstddef>
#include <cstring>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "capi/capi_internal.h"
#include "capi/granule.h"
#include "loader/image_registry.h"
#include "loader/loaded_image.h"
#include "platform/memory/in_place_backend.h"
#include "platform/status_macros.h"

namespace granule::capi {
namespace {

const LoadedImage& Image(const granule_image* image) {
  return *reinterpret_cast<const LoadedImage*>(image);
}

// The fields every caller compiled against this header has.
constexpr uint32_t kMinimumOptionsSize =
    offsetof(granule_load_options, relocation_base) + sizeof(uint64_t);

// Whether a caller's options struct, of options.struct_size bytes, has
// `field`: callers compiled against an older header stop before it.
#define HAS_FIELD(options, field) \
  ((options).struct_size >=       \
   offsetof(granule_load_options, field) + sizeof((options).field))

using InitFunction = int32_t (*)(const granule_image*, void*);

// The C hook as LoadOptions::init: a non-zero return becomes that status
// (GRANULE_UNKNOWN when it is no status code), failing the load.
std::function<absl::Status(const LoadedImage&)> InitHook(InitFunction init,
                                                         void* user_data) {
  return [init, user_data](const LoadedImage& image) {
    const int32_t code =
        init(reinterpret_cast<const granule_image*>(&image), user_data);
    if (code == GRANULE_OK) return absl::OkStatus();
    const bool known = code > GRANULE_OK && code <= GRANULE_DATA_LOSS;
    return absl::Status(
        known ? static_cast<absl::StatusCode>(code)
              : absl::StatusCode::kUnknown,
        absl::StrCat(image.elf().path, ": the init hook failed with code ",
                     code, " (", granule_status_name(code), ")"));
  };
}

}  // namespace

absl::StatusOr<LoadOptions> ToLoadOptions(const char* function,
                                          const granule_load_options* given) {
  granule_load_options defaults;
  granule_load_options_init(&defaults);
  const granule_load_options& c = given != nullptr ? *given : defaults;
  if (c.struct_size < kMinimumOptionsSize) {
    return absl::InvalidArgumentError(absl::StrCat(
        function, ": options.struct_size ", c.struct_size, " is below ",
        kMinimumOptionsSize, " (call granule_load_options_init first)"));
  }
  LoadOptions options;
  switch (c.path) {
    case GRANULE_PATH_AUTO:
      options.path = LoadOptions::PathChoice::kAuto;
      break;
    case GRANULE_PATH_SHARED:
      options.path = LoadOptions::PathChoice::kShared;
      break;
    case GRANULE_PATH_MALLOC:
      options.path = LoadOptions::PathChoice::kMalloc;
      break;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat(function, ": options.path ", c.path,
                       " is not GRANULE_PATH_AUTO, _SHARED or _MALLOC"));
  }
  if (c.require_shared) {
    if (c.path == GRANULE_PATH_MALLOC) {
      return absl::InvalidArgumentError(
          absl::StrCat(function,
                       ": options.require_shared contradicts "
                       "options.path GRANULE_PATH_MALLOC"));
    }
    options.path = LoadOptions::PathChoice::kShared;
  }
  options.allow_execute = c.allow_execute != 0;
  options.copy_file_bytes = c.copy_file_bytes != 0;
  if (c.has_relocation_base) options.relocation_base = c.relocation_base;
  if (HAS_FIELD(c, init) && c.init != nullptr) {
    options.init = InitHook(
        c.init, HAS_FIELD(c, init_user_data) ? c.init_user_data : nullptr);
  }
  if (HAS_FIELD(c, populate_writable)) {
    options.populate_writable = c.populate_writable != 0;
  }
  if (HAS_FIELD(c, max_image_size) && c.max_image_size != 0) {
    options.max_image_size = c.max_image_size;
  }
  if (HAS_FIELD(c, map_whole_file)) {
    options.map_whole_file = c.map_whole_file != 0;
  }
  if (HAS_FIELD(c, cache_dir) && c.cache_dir != nullptr) {
    options.cache.directory = c.cache_dir;
  }
  if (HAS_FIELD(c, cache_file_mode) && c.cache_file_mode != 0) {
    options.cache.file_mode = c.cache_file_mode;
  }
  if (HAS_FIELD(c, cache_verify_content) && c.cache_verify_content != 0) {
    options.cache.verify = ImageCacheOptions::Verify::kContent;
  }
  if (HAS_FIELD(c, skip_section_table)) {
    options.read_section_table = c.skip_section_table == 0;
  }
  if (HAS_FIELD(c, arena) && c.arena != nullptr) {
    options.arena = c.arena->arena;
  }
  return options;
}

namespace {

bool InPlace(const LoadedImage& image) {
  return std::strcmp(image.backend().traits().name, InPlaceBackend::Name()) ==
         0;
}

granule_protection ToC(Protection protection) {
  switch (protection) {
    case Protection::kNone:
      return GRANULE_PROT_NONE;
    case Protection::kRead:
      return GRANULE_PROT_R;
    case Protection::kReadWrite:
      return GRANULE_PROT_RW;
    case Protection::kReadExecute:
      return GRANULE_PROT_RX;
  }
  return GRANULE_PROT_NONE;
}

}  // namespace
}  // namespace granule::capi

using granule::capi::Guard;
using granule::capi::Image;
using granule::capi::NullArgument;

extern "C" {

void granule_load_options_init(granule_load_options* options) {
  if (options == nullptr) return;
  *options = granule_load_options{};
  options->struct_size = sizeof(granule_load_options);
  options->path = GRANULE_PATH_AUTO;
}

granule_status granule_load(const char* path,
                            const granule_load_options* options,
                            granule_image** image) {
  const char* const function = __func__;
  if (image == nullptr) return NullArgument(function, "image");
  *image = nullptr;
  if (path == nullptr) return NullArgument(function, "path");
  return Guard(function, [&]() -> absl::Status {
    GRANULE_ASSIGN_OR_RETURN(granule::LoadOptions load_options,
                             granule::capi::ToLoadOptions(function, options));
    GRANULE_ASSIGN_OR_RETURN(std::unique_ptr<granule::LoadedImage> loaded,
                             granule::LoadImage(path, load_options));
    *image = reinterpret_cast<granule_image*>(loaded.release());
    return absl::OkStatus();
  });
}

void granule_image_release(granule_image* image) {
  delete reinterpret_cast<granule::LoadedImage*>(image);
}

const char* granule_protection_name(granule_protection protection) {
  switch (protection) {
    case GRANULE_PROT_NONE:
      return "none";
    case GRANULE_PROT_R:
      return "R";
    case GRANULE_PROT_RW:
      return "RW";
    case GRANULE_PROT_RX:
      return "RX";
  }
  return "unknown";
}

uintptr_t granule_image_base(const granule_image* image) {
  return Image(image).base();
}
uintptr_t granule_image_begin(const granule_image* image) {
  return Image(image).begin();
}
uintptr_t granule_image_end(const granule_image* image) {
  return Image(image).end();
}
uint64_t granule_image_size(const granule_image* image) {
  return Image(image).end() - Image(image).begin();
}
const char* granule_image_file(const granule_image* image) {
  return Image(image).elf().path.c_str();
}
granule_load_path granule_image_path(const granule_image* image) {
  if (granule::capi::InPlace(Image(image))) return GRANULE_LOADED_IN_PLACE;
  return Image(image).path() == granule::LoadPath::kShared
             ? GRANULE_LOADED_SHARED
             : GRANULE_LOADED_MALLOC;
}
const char* granule_image_path_name(const granule_image* image) {
  if (granule::capi::InPlace(Image(image))) {
    return granule::InPlaceBackend::Name();
  }
  return granule::LoadPathName(Image(image).path());
}
const char* granule_image_reason(const granule_image* image) {
  return Image(image).reason().c_str();
}

granule_route granule_image_route(const granule_image* image) {
  switch (Image(image).verdict().route) {
    case granule::LoadRoute::kSharedWhole:
      return GRANULE_ROUTE_SHARED_WHOLE;
    case granule::LoadRoute::kPerSegment:
      return GRANULE_ROUTE_PER_SEGMENT;
    case granule::LoadRoute::kCopy:
      return GRANULE_ROUTE_COPY;
  }
  return GRANULE_ROUTE_COPY;
}
const char* granule_image_route_name(const granule_image* image) {
  return granule::LoadRouteName(Image(image).verdict().route);
}
uint64_t granule_image_bytes_mapped(const granule_image* image) {
  return Image(image).verdict().bytes_mapped;
}
uint64_t granule_image_bytes_copied(const granule_image* image) {
  return Image(image).verdict().bytes_copied;
}

void granule_image_set_user_data(granule_image* image, void* user_data) {
  reinterpret_cast<granule::LoadedImage*>(image)->set_user_data(user_data);
}
void* granule_image_user_data(const granule_image* image) {
  return Image(image).user_data();
}

uint32_t granule_image_segment_count(const granule_image* image) {
  return static_cast<uint32_t>(Image(image).segments().size());
}

granule_status granule_image_segment(const granule_image* image, uint32_t index,
                                     granule_segment* segment) {
  const char* const function = __func__;
  if (image == nullptr) return NullArgument(function, "image");
  if (segment == nullptr) return NullArgument(function, "segment");
  return Guard(function, [&] {
    const auto& segments = Image(image).segments();
    if (index >= segments.size()) {
      return absl::OutOfRangeError(absl::StrCat(function, ": index ", index,
                                                " but the image has ",
                                                segments.size(), " segments"));
    }
    const granule::LoadedImage::LoadedSegment& s = segments[index];
    segment->address = reinterpret_cast<uintptr_t>(s.data);
    segment->vaddr = s.header->vaddr;
    segment->size = s.size;
    segment->elf_flags = s.header->flags;
    segment->protection = granule::capi::ToC(s.protection);
    return absl::OkStatus();
  });
}

uint32_t granule_image_dynamic_count(const granule_image* image) {
  return static_cast<uint32_t>(Image(image).elf().dynamic.size());
}

granule_status granule_image_dynamic(const granule_image* image, uint32_t index,
                                     granule_dynamic_entry* entry) {
  const char* const function = __func__;
  if (image == nullptr) return NullArgument(function, "image");
  if (entry == nullptr) return NullArgument(function, "entry");
  return Guard(function, [&] {
    const auto entries = Image(image).dynamic();
    if (index >= entries.size()) {
      return absl::OutOfRangeError(
          absl::StrCat(function, ": index ", index, " but the image has ",
                       entries.size(), " dynamic entries"));
    }
    entry->tag = entries[index].tag;
    entry->value = entries[index].value;
    entry->pointer = entries[index].pointer;
    return absl::OkStatus();
  });
}

granule_status granule_image_section(const granule_image* image,
                                     const char* name, const void** data,
                                     uint64_t* size) {
  const char* const function = __func__;
  if (image == nullptr) return NullArgument(function, "image");
  if (name == nullptr) return NullArgument(function, "name");
  return Guard(function, [&]() -> absl::Status {
    GRANULE_ASSIGN_OR_RETURN(absl::Span<const uint8_t> bytes,
                             granule::capi::SectionInPlace(Image(image), name));
    if (data != nullptr) *data = bytes.data();
    if (size != nullptr) *size = bytes.size();
    return absl::OkStatus();
  });
}

const granule_image* granule_find_image(const void* address) {
  return reinterpret_cast<const granule_image*>(
      granule::ImageRegistry::Global().Find(
          reinterpret_cast<uintptr_t>(address)));
}

uint64_t granule_loaded_image_count(void) {
  return granule::ImageRegistry::Global().size();
}

uint64_t granule_loaded_images(const granule_image** images,
                               uint64_t capacity) {
  if (images == nullptr) capacity = 0;
  return granule::ImageRegistry::Global().List(
      reinterpret_cast<const granule::LoadedImage**>(images),
      static_cast<size_t>(capacity));
}

}  // extern "C"

