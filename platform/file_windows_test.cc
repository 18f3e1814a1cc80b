// SPDX-License-Identifier: Apache-2.0
// File on Windows: Windows' own errors, devices, and the sharing a loader
// relies on: an open image can be renamed over and deleted, and the open
// handle keeps reading the old bytes. file_test.cc holds what every OS shares.
#include <windows.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "platform/file.h"
#include "testing/wine_test_windows.h"
#include "testing/temp_file.h"

namespace granule {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;

// Wine's server refuses to replace or rename over a file that any process
// has open, whatever the sharing; Windows allows it with FILE_SHARE_DELETE.
using testing::RunningUnderWine;

std::string Message(const absl::Status& status) {
  return std::string(status.message());
}

TEST(FileWindowsTest, MissingFileNamesPathCallAndError) {
  absl::StatusOr<File> file = File::OpenForReading("/nonexistent/granule.go");
  // ERROR_PATH_NOT_FOUND, and the system's text for it (Wine has its own).
  EXPECT_EQ(file.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(Message(file.status()),
              HasSubstr("windows: CreateFileW('/nonexistent/granule.go', "
                        "GENERIC_READ | GENERIC_EXECUTE, FILE_SHARE_READ | "
                        "FILE_SHARE_DELETE, OPEN_EXISTING) failed: error 3 ("));
  EXPECT_THAT(Message(file.status()), EndsWith(")"));
  EXPECT_THAT(Message(file.status()), Not(HasSubstr("no text for this error")));

  // ERROR_FILE_NOT_FOUND.
  const std::string missing = testing::TempPath("missing");
  file = File::OpenForReading(missing);
  EXPECT_EQ(file.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(Message(file.status()),
              HasSubstr("CreateFileW('" + missing + "', "));
  EXPECT_THAT(Message(file.status()), HasSubstr("failed: error 2 ("));
  EXPECT_THAT(Message(file.status()), EndsWith(")"));
}

TEST(FileWindowsTest, DeviceIsRejected) {
  absl::StatusOr<File> file = File::OpenForReading("NUL");
  EXPECT_EQ(file.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(file.status().message(), "'NUL' is not a regular file");
}

TEST(FileWindowsTest, WritersAreRefusedWhileOpen) {
  absl::StatusOr<std::string> path =
      testing::WriteTempFile("shared", testing::PatternBytes(100));
  ASSERT_TRUE(path.ok());
  absl::StatusOr<File> file = File::OpenForReading(*path);
  ASSERT_TRUE(file.ok());
  HANDLE writer =
      CreateFileA(path->c_str(), GENERIC_WRITE,
                  FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                  nullptr, OPEN_EXISTING, 0, nullptr);
  // Our handle does not share writing, so the writer is refused.
  ASSERT_EQ(writer, INVALID_HANDLE_VALUE);
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_SHARING_VIOLATION));
}

TEST(FileWindowsTest, OpenFileCanBeDeletedAndKeepsItsBytes) {
  const std::vector<uint8_t> bytes = testing::PatternBytes(5000, 1);
  absl::StatusOr<std::string> path = testing::WriteTempFile("deleted", bytes);
  ASSERT_TRUE(path.ok());
  absl::StatusOr<File> file = File::OpenForReading(*path);
  ASSERT_TRUE(file.ok()) << file.status();

  ASSERT_TRUE(DeleteFileA(path->c_str())) << GetLastError();
  std::vector<uint8_t> seen(bytes.size());
  ASSERT_TRUE(file->ReadAt(0, absl::MakeSpan(seen)).ok());
  EXPECT_EQ(seen, bytes);
}

TEST(FileWindowsTest, RenamingOverAnOpenFile) {
  const std::vector<uint8_t> old_bytes = testing::PatternBytes(5000, 1);
  absl::StatusOr<std::string> path = testing::WriteTempFile("old", old_bytes);
  ASSERT_TRUE(path.ok());
  absl::StatusOr<std::string> newer =
      testing::WriteTempFile("new", testing::PatternBytes(300, 2));
  ASSERT_TRUE(newer.ok());
  absl::StatusOr<File> file = File::OpenForReading(*path);
  ASSERT_TRUE(file.ok()) << file.status();

  const bool moved =
      MoveFileExA(newer->c_str(), path->c_str(), MOVEFILE_REPLACE_EXISTING);
  const DWORD error = GetLastError();
  std::vector<uint8_t> seen(old_bytes.size());
  ASSERT_TRUE(file->ReadAt(0, absl::MakeSpan(seen)).ok());
  EXPECT_EQ(seen, old_bytes) << "the open file keeps its bytes either way";
  absl::StatusOr<File> at_path = File::OpenForReading(*path);
  ASSERT_TRUE(at_path.ok()) << at_path.status();
  if (RunningUnderWine()) {
    EXPECT_FALSE(moved);
    EXPECT_EQ(error, static_cast<DWORD>(ERROR_ACCESS_DENIED));
    EXPECT_EQ(at_path->size(), old_bytes.size());
  } else {
    EXPECT_TRUE(moved) << "FILE_SHARE_DELETE allows it: error " << error;
    EXPECT_EQ(at_path->size(), 300u);
  }
}

TEST(FileWindowsTest, ClosingReleasesTheHandle) {
  absl::StatusOr<std::string> path =
      testing::WriteTempFile("close", testing::PatternBytes(64));
  ASSERT_TRUE(path.ok());
  HANDLE handle;
  {
    absl::StatusOr<File> file = File::OpenForReading(*path);
    ASSERT_TRUE(file.ok());
    handle = reinterpret_cast<HANDLE>(file->native_handle());
    DWORD flags;
    EXPECT_TRUE(GetHandleInformation(handle, &flags));
  }
  // Without FILE_SHARE_WRITE an exclusive open works only once it is closed.
  HANDLE exclusive = CreateFileA(path->c_str(), GENERIC_WRITE, 0, nullptr,
                                 OPEN_EXISTING, 0, nullptr);
  EXPECT_NE(exclusive, INVALID_HANDLE_VALUE) << GetLastError();
  CloseHandle(exclusive);
}

}  // namespace
}  // namespace granule
