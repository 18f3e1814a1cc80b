// SPDX-License-Identifier: Apache-2.0
// The C API's error reporting and the host's page geometry.
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "capi/capi_internal.h"
#include "capi/granule.h"
#include "platform/page_geometry.h"
#include "platform/status_macros.h"

namespace granule::capi {
namespace {

// Per thread, so one thread's failure never overwrites another's text.
// Assigning may throw bad_alloc; the text is then cut to what fits.
thread_local std::string last_error;

void SetLastError(const std::string& text) noexcept {
  try {
    last_error = text;
  } catch (...) {
    last_error.clear();  // Never throws; keeps "" rather than a stale text.
  }
}

}  // namespace

granule_status Fail(const absl::Status& status) {
  SetLastError(std::string(status.message()));
  return status.ok() ? GRANULE_INTERNAL
                     : static_cast<granule_status>(status.code());
}

granule_status Report(const absl::Status& status) {
  return status.ok() ? GRANULE_OK : Fail(status);
}

granule_status NullArgument(const char* function, const char* argument) {
  return Fail(absl::InvalidArgumentError(
      absl::StrCat(function, ": ", argument, " is NULL")));
}

}  // namespace granule::capi

using granule::capi::Guard;
using granule::capi::NullArgument;

extern "C" {

const char* granule_version(void) { return GRANULE_VERSION_STRING; }

const char* granule_last_error(void) {
  return granule::capi::last_error.c_str();
}

const char* granule_status_name(granule_status status) {
  static const char* const kNames[] = {"OK",
                                       "CANCELLED",
                                       "UNKNOWN",
                                       "INVALID_ARGUMENT",
                                       "DEADLINE_EXCEEDED",
                                       "NOT_FOUND",
                                       "ALREADY_EXISTS",
                                       "PERMISSION_DENIED",
                                       "RESOURCE_EXHAUSTED",
                                       "FAILED_PRECONDITION",
                                       "ABORTED",
                                       "OUT_OF_RANGE",
                                       "UNIMPLEMENTED",
                                       "INTERNAL",
                                       "UNAVAILABLE",
                                       "DATA_LOSS"};
  if (status < 0 || status >= static_cast<granule_status>(sizeof(kNames) /
                                                          sizeof(kNames[0]))) {
    return "UNKNOWN_STATUS";
  }
  return kNames[status];
}

granule_status granule_page_geometry(uint64_t* page_size,
                                     uint64_t* allocation_granularity) {
  const char* const function = __func__;
  return Guard(function, [&]() -> absl::Status {
    GRANULE_ASSIGN_OR_RETURN(granule::PageGeometry geometry,
                             granule::HostPageGeometry());
    if (page_size != nullptr) *page_size = geometry.page_size();
    if (allocation_granularity != nullptr) {
      *allocation_granularity = geometry.allocation_granularity();
    }
    return absl::OkStatus();
  });
}

}  // extern "C"
