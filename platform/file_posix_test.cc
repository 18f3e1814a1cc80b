// SPDX-License-Identifier: Apache-2.0
// File on POSIX: the errors name the call and errno's text.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "platform/file.h"

namespace granule {
namespace {

using ::testing::HasSubstr;

TEST(FilePosixTest, MissingFileNamesPathAndError) {
  absl::StatusOr<File> file = File::OpenForReading("/nonexistent/granule.go");
  EXPECT_EQ(file.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(file.status().message(),
              HasSubstr("open('/nonexistent/granule.go') failed"));
  EXPECT_THAT(file.status().message(), HasSubstr("No such file"));
}

}  // namespace
}  // namespace granule
