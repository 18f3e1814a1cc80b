// `granule info`: what this machine's memory looks like to granule.
#ifndef GRANULE_CLI_PLATFORM_REPORT_H_
#define GRANULE_CLI_PLATFORM_REPORT_H_

#include <string>

#include "platform/memory_backend.h"
#include "platform/page_geometry.h"

namespace granule::cli {

// The segment alignment granule writes: the least common multiple of every
// page size and allocation granularity in use (4K, 16K, 64K pages; Windows'
// and Cygwin's 64K granularity).
inline constexpr uint64_t kImageAlignment = 64 * 1024;

// A report of the geometry, the backend's traits, and whether 64 KiB-aligned
// images take the shared path here. Text for people, or one JSON object.
std::string PlatformReport(const PageGeometry& geometry,
                           const BackendTraits& traits, bool json);

}  // namespace granule::cli

#endif  // GRANULE_CLI_PLATFORM_REPORT_H_
