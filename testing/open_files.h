// SPDX-License-Identifier: Apache-2.0
// How many files this process holds open, so a test can show an error path
// closes what it opened: compare the count before and after.
#ifndef GRANULE_TESTING_OPEN_FILES_H_
#define GRANULE_TESTING_OPEN_FILES_H_

#include <cstddef>

#include "absl/status/statusor.h"

namespace granule::testing {

// POSIX: the entries of /proc/self/fd (or /dev/fd where there is no /proc),
// one per open descriptor, the one reading the directory included.
// Windows: GetProcessHandleCount, which counts handles of every kind (files,
// mappings, events...), so a leaked file or mapping handle shows as well.
// Either way only a difference between two calls means anything.
absl::StatusOr<size_t> OpenFileCount();

}  // namespace granule::testing

#endif  // GRANULE_TESTING_OPEN_FILES_H_
