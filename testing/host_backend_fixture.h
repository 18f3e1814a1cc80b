// SPDX-License-Identifier: Apache-2.0
// Tests on the host's real memory backend (POSIX mmap or Windows views): the
// backend and its geometry at hand, and files to map.
#ifndef GRANULE_TESTING_HOST_BACKEND_FIXTURE_H_
#define GRANULE_TESTING_HOST_BACKEND_FIXTURE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "platform/file.h"
#include "platform/memory/memory_backend.h"

namespace granule::testing {

class HostBackendTest : public ::testing::Test {
 protected:
  void SetUp() override;

  // A region of at least `size` bytes aligned to `alignment` (raised to the
  // allocation granularity, as Reserve does); failing is a test failure.
  Region Reserve(size_t size, size_t alignment = 1);

  MemoryBackend* backend_ = nullptr;
  size_t page_ = 0;     // The host's page size.
  size_t granule_ = 0;  // Its allocation granularity.
};

// `bytes` in a fresh temporary file, opened for reading; failing is a test
// failure.
File OpenTempFile(const std::vector<uint8_t>& bytes,
                  const std::string& stem = "image");

}  // namespace granule::testing

#endif  // GRANULE_TESTING_HOST_BACKEND_FIXTURE_H_
