// SPDX-License-Identifier: Apache-2.0
// What the C API's source files share: the thread's last error and the
// boundary that turns absl::Status and exceptions into granule_status.
#ifndef GRANULE_CAPI_CAPI_INTERNAL_H_
#define GRANULE_CAPI_CAPI_INTERNAL_H_

#include <exception>
#include <memory>
#include <new>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "capi/granule.h"
#include "loader/loaded_image.h"
#include "platform/memory/address_arena.h"

struct granule_arena {
  std::shared_ptr<granule::AddressArena> arena;
};

namespace granule::capi {

// Records `status` as this thread's last failure (when it is one) and
// returns its code.
granule_status Fail(const absl::Status& status);
granule_status Report(const absl::Status& status);

// A null argument the caller must not pass.
granule_status NullArgument(const char* function, const char* argument);

// The C options (NULL: the defaults) as the loader's; errors name
// `function` and the field.
absl::StatusOr<LoadOptions> ToLoadOptions(const char* function,
                                          const granule_load_options* options);

// A section's bytes: loaded (LoadedImage::SectionBytes) or, with
// map_whole_file, in the file's bytes (granule_whole_file.cc).
absl::StatusOr<absl::Span<const uint8_t>> SectionInPlace(
    const LoadedImage& image, const std::string& name);

// Runs `body` (returning absl::Status) so that no exception leaves the
// library: bad_alloc becomes RESOURCE_EXHAUSTED, anything else INTERNAL.
template <typename Body>
granule_status Guard(const char* function, Body&& body) noexcept {
  try {
    return Report(body());
  } catch (const std::bad_alloc&) {
    return Fail(absl::ResourceExhaustedError(std::string(function) +
                                             ": out of memory"));
  } catch (const std::exception& e) {
    return Fail(absl::InternalError(std::string(function) +
                                    ": unexpected exception: " + e.what()));
  } catch (...) {
    return Fail(
        absl::InternalError(std::string(function) + ": unexpected exception"));
  }
}

}  // namespace granule::capi

#endif  // GRANULE_CAPI_CAPI_INTERNAL_H_
