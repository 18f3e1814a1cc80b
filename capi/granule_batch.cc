// SPDX-License-Identifier: Apache-2.0
// granule_load_many: LoadImages behind the C API, with one error text per
// file kept for the thread until its next batch.
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "capi/capi_internal.h"
#include "capi/granule.h"
#include "loader/image_batch.h"
#include "loader/loaded_image.h"
#include "platform/status_macros.h"

namespace granule::capi {
namespace {

std::vector<std::string>& BatchErrors() {
  thread_local std::vector<std::string> errors;
  return errors;
}

// Fills images[] and statuses[] from LoadImages' results; returns the first
// failure, with how many files failed.
absl::Status TakeResults(
    std::vector<absl::StatusOr<std::unique_ptr<LoadedImage>>> results,
    granule_image** images, granule_status* statuses) {
  std::vector<std::string>& errors = BatchErrors();
  absl::Status first;
  size_t failed = 0;
  for (size_t i = 0; i < results.size(); ++i) {
    if (results[i].ok()) {
      images[i] = reinterpret_cast<granule_image*>(results[i]->release());
      statuses[i] = GRANULE_OK;
      continue;
    }
    const absl::Status& status = results[i].status();
    statuses[i] = static_cast<granule_status>(status.code());
    errors[i] = std::string(status.message());
    if (failed++ == 0) first = status;
  }
  if (failed == 0) return absl::OkStatus();
  return absl::Status(first.code(),
                      absl::StrCat("granule_load_many: ", failed, " of ",
                                   results.size(), " files failed; the first: ",
                                   first.message()));
}

}  // namespace
}  // namespace granule::capi

extern "C" {

granule_status granule_load_many(const char* const* paths, size_t count,
                                 const granule_load_options* options,
                                 granule_image** images,
                                 granule_status* statuses) {
  using granule::capi::NullArgument;
  const char* const function = __func__;
  granule::capi::BatchErrors().assign(count, std::string());
  if (count == 0) return GRANULE_OK;
  if (images == nullptr) return NullArgument(function, "images");
  if (statuses == nullptr) return NullArgument(function, "statuses");
  for (size_t i = 0; i < count; ++i) {
    images[i] = nullptr;
    statuses[i] = GRANULE_UNKNOWN;
  }
  if (paths == nullptr) return NullArgument(function, "paths");
  for (size_t i = 0; i < count; ++i) {
    if (paths[i] == nullptr) return NullArgument(function, "paths[i]");
  }
  return granule::capi::Guard(function, [&]() -> absl::Status {
    GRANULE_ASSIGN_OR_RETURN(granule::LoadOptions load_options,
                             granule::capi::ToLoadOptions(function, options));
    const std::vector<std::string> files(paths, paths + count);
    return granule::capi::TakeResults(granule::LoadImages(files, load_options),
                                      images, statuses);
  });
}

const char* granule_load_many_error(size_t index) {
  const std::vector<std::string>& errors = granule::capi::BatchErrors();
  return index < errors.size() ? errors[index].c_str() : "";
}

}  // extern "C"
