// SPDX-License-Identifier: Apache-2.0
// Files for tests, under TEST_TMPDIR (Bazel gives each test its own).
#ifndef GRANULE_TESTING_TEMP_FILE_H_
#define GRANULE_TESTING_TEMP_FILE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace granule::testing {

// A fresh path under TEST_TMPDIR (or /tmp), unique within the process.
std::string TempPath(const std::string& stem);

// Writes `bytes` to a fresh temporary file and returns its path.
absl::StatusOr<std::string> WriteTempFile(const std::string& stem,
                                          const std::vector<uint8_t>& bytes);

// `size` bytes where byte i is a function of i and `seed`, so a misplaced
// page shows up as a mismatch.
std::vector<uint8_t> PatternBytes(size_t size, uint8_t seed = 0);

}  // namespace granule::testing

#endif  // GRANULE_TESTING_TEMP_FILE_H_
