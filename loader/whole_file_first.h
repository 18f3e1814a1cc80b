// SPDX-License-Identifier: Apache-2.0
// Internal to the loader. LoadOptions::map_whole_file maps the file from
// offset 0 to its end anyway, so its headers need no reads of their own: the
// file is mapped first, read-only, into a region sized for it, and the ELF
// reader reads the mapped bytes, as Guile's own loader does. Only the first
// page is read with a call: the page-cache probe LoadOptions::read_advice
// needs. Where the plan then wants the file placed otherwise, the region is
// released and the load maps it as usual.
//
// The hazard is the one every mapped image lives with (docs/design.md,
// "Files that change underneath"), now during the header read too: a file
// truncated between its size being taken and its headers being read raises
// SIGBUS where a read would have failed.
#ifndef GRANULE_LOADER_WHOLE_FILE_FIRST_H_
#define GRANULE_LOADER_WHOLE_FILE_FIRST_H_

#include <cstdint>
#include <optional>

#include "absl/status/statusor.h"
#include "loader/elf/elf_image.h"
#include "loader/loaded_image.h"
#include "loader/path_decision.h"
#include "platform/file.h"
#include "platform/memory/memory_backend.h"

namespace granule::internal {

struct MappedWholeFile {
  Region region;  // The file, read-only, from region offset 0.
  ElfImage elf;   // Read from the region.
  bool first_page_was_cached = false;
};

// Maps `file` whole into a region of the shared path's backend (a slot of
// options.arena when the arena is that backend's) and reads its headers from
// there. Empty when `options` do not map the whole file on the shared path
// or the region or mapping cannot be had: the ordinary load then runs and
// reports any error of its own. An invalid image is the reader's error, the
// same as ReadElfImage's.
absl::StatusOr<std::optional<MappedWholeFile>> MapWholeFileFirst(
    const File& file, const LoadOptions& options);

// Whether `decision` begins by mapping the file as `mapped` already holds
// it: the shared path, its first step the whole file read-only at region
// offset 0, on the region's backend, the region large and aligned enough.
bool DecisionStartsWithMapping(const PathDecision& decision,
                               const Region& mapped, uint64_t file_size);

}  // namespace granule::internal

#endif  // GRANULE_LOADER_WHOLE_FILE_FIRST_H_
