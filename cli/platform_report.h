// SPDX-License-Identifier: Apache-2.0
// `granule info`: what this machine's memory looks like to granule.
#ifndef GRANULE_CLI_PLATFORM_REPORT_H_
#define GRANULE_CLI_PLATFORM_REPORT_H_

#include <string>

#include "loader/elf/elf_format.h"
#include "platform/memory/memory_backend.h"
#include "platform/page_geometry.h"

namespace granule::cli {

// A report of the geometry, the backend's traits, and whether 64 KiB-aligned
// images take the shared path here. Text for people, or one JSON object.
std::string PlatformReport(const PageGeometry& geometry,
                           const BackendTraits& traits, bool json);

}  // namespace granule::cli

#endif  // GRANULE_CLI_PLATFORM_REPORT_H_
