// SPDX-License-Identifier: Apache-2.0
// File on every OS: reads, the range check, what is not a regular file, and
// ownership of the handle. file_posix_test.cc and file_windows_test.cc hold
// each OS's own errors and sharing.
#include "platform/file.h"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/temp_file.h"

namespace granule {
namespace {

using ::testing::HasSubstr;

TEST(FileTest, ReadsAtOffsets) {
  std::vector<uint8_t> bytes = testing::PatternBytes(10000, 7);
  absl::StatusOr<std::string> path = testing::WriteTempFile("read", bytes);
  ASSERT_TRUE(path.ok());
  absl::StatusOr<File> file = File::OpenForReading(*path);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->size(), bytes.size());
  EXPECT_EQ(file->path(), *path);
  std::vector<uint8_t> out(100);
  ASSERT_TRUE(file->ReadAt(9900, absl::MakeSpan(out)).ok());
  EXPECT_EQ(out, std::vector<uint8_t>(bytes.end() - 100, bytes.end()));
  ASSERT_TRUE(file->ReadAt(0, absl::MakeSpan(out)).ok());
  EXPECT_EQ(out, std::vector<uint8_t>(bytes.begin(), bytes.begin() + 100));
}

TEST(FileTest, DirectoryIsRejected) {
  const std::string dir = testing::TempPath("dir");
  ASSERT_TRUE(std::filesystem::create_directory(dir)) << dir;
  absl::StatusOr<File> file = File::OpenForReading(dir);
  EXPECT_EQ(file.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(file.status().message(), "'" + dir + "' is not a regular file");
}

TEST(FileTest, ReadPastEndIsOutOfRange) {
  absl::StatusOr<std::string> path =
      testing::WriteTempFile("short", testing::PatternBytes(10));
  ASSERT_TRUE(path.ok());
  absl::StatusOr<File> file = File::OpenForReading(*path);
  ASSERT_TRUE(file.ok());
  std::vector<uint8_t> out(8);
  absl::Status status = file->ReadAt(5, absl::MakeSpan(out));
  EXPECT_EQ(status.code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(status.message(), HasSubstr("read of 8 bytes at offset 5"));
  EXPECT_THAT(status.message(), HasSubstr("runs past its end (10 bytes)"));
  // An offset near 2^64 must not wrap around the size check.
  EXPECT_EQ(file->ReadAt(~uint64_t{0} - 2, absl::MakeSpan(out)).code(),
            absl::StatusCode::kOutOfRange);
}

TEST(FileTest, CachedReadPastEndIsOutOfRange) {
  absl::StatusOr<std::string> path =
      testing::WriteTempFile("short", testing::PatternBytes(10));
  ASSERT_TRUE(path.ok());
  absl::StatusOr<File> file = File::OpenForReading(*path);
  ASSERT_TRUE(file.ok());
  std::vector<uint8_t> out(8);
  absl::StatusOr<bool> read = file->ReadAtIfCached(5, absl::MakeSpan(out));
  EXPECT_EQ(read.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(read.status().message(), HasSubstr("runs past its end"));
}

// A window's cached read is at the window's offset, like ReadAt; whether it
// was served from the page cache depends on the kernel and file system, so
// only a true answer is held to the bytes.
TEST(FileTest, CachedReadOfAWindowReadsInsideTheWindow) {
  const std::vector<uint8_t> bytes = testing::PatternBytes(64);
  absl::StatusOr<std::string> path = testing::WriteTempFile("window", bytes);
  ASSERT_TRUE(path.ok());
  absl::StatusOr<File> file = File::OpenForReading(*path);
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE(file->RestrictToWindow(16, 32).ok());
  std::vector<uint8_t> out(8);
  absl::StatusOr<bool> read = file->ReadAtIfCached(4, absl::MakeSpan(out));
  ASSERT_TRUE(read.ok()) << read.status();
  if (*read) {
    EXPECT_EQ(out, std::vector<uint8_t>(bytes.begin() + 20, bytes.begin() + 28));
  }
}

// Bytes in memory are always at hand: read, and said to be.
TEST(FileTest, CachedReadOfMemoryIsTheBytes) {
  const std::vector<uint8_t> bytes = testing::PatternBytes(32);
  const File file = File::OverMemory("buffer", bytes.data(), bytes.size());
  std::vector<uint8_t> out(8);
  absl::StatusOr<bool> read = file.ReadAtIfCached(8, absl::MakeSpan(out));
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_TRUE(*read);
  EXPECT_EQ(out, std::vector<uint8_t>(bytes.begin() + 8, bytes.begin() + 16));
}

TEST(FileTest, MoveTransfersOwnership) {
  absl::StatusOr<std::string> path =
      testing::WriteTempFile("move", testing::PatternBytes(64));
  ASSERT_TRUE(path.ok());
  absl::StatusOr<File> file = File::OpenForReading(*path);
  ASSERT_TRUE(file.ok());
  const intptr_t handle = file->native_handle();
  File moved = std::move(*file);
  EXPECT_EQ(moved.native_handle(), handle);
  // -1: no fd on POSIX, INVALID_HANDLE_VALUE on Windows.
  EXPECT_EQ(file->native_handle(), -1);
  std::vector<uint8_t> out(64);
  EXPECT_TRUE(moved.ReadAt(0, absl::MakeSpan(out)).ok());
  EXPECT_EQ(out, testing::PatternBytes(64));
}

}  // namespace
}  // namespace granule
