// SPDX-License-Identifier: Apache-2.0
#include "testing/temp_file.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"

namespace granule::testing {

std::string TempPath(const std::string& stem) {
  static std::atomic<int> counter{0};
  const char* dir = std::getenv("TEST_TMPDIR");
  return absl::StrFormat("%s/%s.%d", dir != nullptr ? dir : "/tmp", stem,
                         counter.fetch_add(1));
}

absl::StatusOr<std::string> WriteTempFile(const std::string& stem,
                                          const std::vector<uint8_t>& bytes) {
  std::string path = TempPath(stem);
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) {
    return absl::InternalError(absl::StrFormat("cannot create '%s'", path));
  }
  const bool written =
      std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  if (std::fclose(f) != 0 || !written) {
    return absl::InternalError(absl::StrFormat("cannot write '%s'", path));
  }
  return path;
}

std::vector<uint8_t> PatternBytes(size_t size, uint8_t seed) {
  std::vector<uint8_t> bytes(size);
  for (size_t i = 0; i < size; ++i) {
    // Mixes in the page-sized index so equal offsets in different pages differ.
    bytes[i] = static_cast<uint8_t>(i ^ (i >> 12) ^ (i >> 16) ^ seed);
  }
  return bytes;
}

}  // namespace granule::testing
