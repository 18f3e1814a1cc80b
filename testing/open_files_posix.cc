// SPDX-License-Identifier: Apache-2.0
#include <dirent.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_format.h"
#include "testing/open_files.h"

namespace granule::testing {

absl::StatusOr<size_t> OpenFileCount() {
  for (const char* directory : {"/proc/self/fd", "/dev/fd"}) {
    DIR* listing = opendir(directory);
    if (listing == nullptr) continue;
    size_t count = 0;
    while (const dirent* entry = readdir(listing)) {
      if (entry->d_name[0] != '.') ++count;
    }
    closedir(listing);
    return count;
  }
  return absl::UnavailableError(absl::StrFormat(
      "cannot list open files: opendir /proc/self/fd and /dev/fd: %s",
      std::strerror(errno)));
}

}  // namespace granule::testing
