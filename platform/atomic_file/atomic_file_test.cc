// SPDX-License-Identifier: Apache-2.0
// WriteFileAtomically on every OS: the bytes written, and bad extents refused
// before anything is created. atomic_file_posix_test.cc and
// atomic_file_windows_test.cc hold holes, replacement while a reader has the
// old file open, and each OS's errors.
#include "platform/atomic_file/atomic_file.h"

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "platform/atomic_file/atomic_file_test_util.h"
#include "testing/temp_file.h"

namespace granule {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

TEST(AtomicFileTest, RoundTripsExtentsWithZerosBetween) {
  const std::string dir = testing::MakeDirectory("round_trip");
  const std::string path = dir + "/image";
  const std::vector<uint8_t> a = testing::PatternBytes(100, 1);
  const std::vector<uint8_t> b = testing::PatternBytes(200, 2);
  const FileExtent extents[] = {{0, a}, {5000, b}};
  ASSERT_TRUE(WriteFileAtomically(path, 10000, extents).ok());

  std::vector<uint8_t> expected(10000, 0);
  std::copy(a.begin(), a.end(), expected.begin());
  std::copy(b.begin(), b.end(), expected.begin() + 5000);
  EXPECT_EQ(testing::ReadFileBytes(path), expected);
  EXPECT_THAT(testing::ListDirectory(dir), ElementsAre("image"));
}

TEST(AtomicFileTest, EmptyFile) {
  const std::string dir = testing::MakeDirectory("empty");
  ASSERT_TRUE(WriteFileAtomically(dir + "/empty", 0, {}).ok());
  EXPECT_EQ(std::filesystem::file_size(dir + "/empty"), 0u);
  EXPECT_THAT(testing::ListDirectory(dir), ElementsAre("empty"));
}

TEST(AtomicFileTest, BadExtentsAreRejectedBeforeAnythingIsCreated) {
  const std::string dir = testing::MakeDirectory("bad_extents");
  const std::string path = dir + "/image";
  const std::vector<uint8_t> ten(10, 1), four(4, 2);

  const FileExtent past_end[] = {{8, four}};
  absl::Status status = WriteFileAtomically(path, 10, past_end);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            "extent 0 (offset 8, 4 bytes) runs past the file size 10");

  const FileExtent overlapping[] = {{0, ten}, {5, four}};
  status = WriteFileAtomically(path, 100, overlapping);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            "extent 1 (offset 5, 4 bytes) starts before extent 0 ends at 10");

  const FileExtent unsorted[] = {{50, four}, {0, four}};
  status = WriteFileAtomically(path, 100, unsorted);
  EXPECT_EQ(status.message(),
            "extent 1 (offset 0, 4 bytes) starts before extent 0 ends at 54");

  // An offset near 2^64 must not wrap around the size check.
  const FileExtent huge[] = {{~uint64_t{0} - 1, four}};
  status = WriteFileAtomically(path, 100, huge);
  EXPECT_THAT(status.message(), HasSubstr("runs past the file size 100"));

  // Each OS names its own limit; the OS test files check the words.
  status = WriteFileAtomically(path, ~uint64_t{0}, {});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(
      std::string(status.message()),
      StartsWith("file size 18446744073709551615 exceeds the largest "));

  EXPECT_THAT(testing::ListDirectory(dir), IsEmpty());
}

}  // namespace
}  // namespace granule
