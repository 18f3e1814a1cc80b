// SPDX-License-Identifier: Apache-2.0
#include "testing/host_backend_fixture.h"

#include <utility>

#include "testing/temp_file.h"

namespace granule::testing {

void HostBackendTest::SetUp() {
  absl::StatusOr<MemoryBackend*> backend = HostMemoryBackend();
  ASSERT_TRUE(backend.ok()) << backend.status();
  backend_ = *backend;
  page_ = backend_->geometry().page_size();
  granule_ = backend_->geometry().allocation_granularity();
}

Region HostBackendTest::Reserve(size_t size, size_t alignment) {
  absl::StatusOr<Region> region = backend_->Reserve(size, alignment);
  EXPECT_TRUE(region.ok()) << region.status();
  return std::move(*region);
}

File OpenTempFile(const std::vector<uint8_t>& bytes, const std::string& stem) {
  absl::StatusOr<std::string> path = WriteTempFile(stem, bytes);
  EXPECT_TRUE(path.ok()) << path.status();
  absl::StatusOr<File> file = File::OpenForReading(*path);
  EXPECT_TRUE(file.ok()) << file.status();
  return std::move(*file);
}

}  // namespace granule::testing
