// SPDX-License-Identifier: Apache-2.0
// WriteFileAtomically on Windows: sparse files, replacing a file that a
// reader has open (which Wine refuses), and Windows' own errors.
// atomic_file_test.cc holds what every OS shares.
#include <windows.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "platform/atomic_file/atomic_file.h"
#include "platform/atomic_file/atomic_file_test_util.h"
#include "testing/wine_test_windows.h"
#include "testing/temp_file.h"

namespace granule {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Wine differs from Windows in two things these tests see: its server
// refuses to rename over a file that is open anywhere, and it reports a
// sparse file's logical size as the size it occupies.
using testing::RunningUnderWine;

std::string Message(const absl::Status& status) {
  return std::string(status.message());
}

std::vector<uint8_t> ReadFrom(HANDLE handle) {
  std::vector<uint8_t> bytes;
  uint8_t buffer[65536];
  DWORD n;
  while (ReadFile(handle, buffer, sizeof buffer, &n, nullptr) && n > 0) {
    bytes.insert(bytes.end(), buffer, buffer + n);
  }
  return bytes;
}

HANDLE OpenShared(const std::string& path) {
  return CreateFileA(path.c_str(), GENERIC_READ,
                     FILE_SHARE_READ | FILE_SHARE_DELETE, nullptr,
                     OPEN_EXISTING, 0, nullptr);
}

uint64_t SizeOf(const std::string& path) {
  WIN32_FILE_ATTRIBUTE_DATA data;
  EXPECT_TRUE(GetFileAttributesExA(path.c_str(), GetFileExInfoStandard, &data))
      << path;
  return (uint64_t{data.nFileSizeHigh} << 32) | data.nFileSizeLow;
}

TEST(AtomicFileWindowsTest, GapsAndTailReadAsZerosAndAreHolesOnWindows) {
  const std::string dir = testing::MakeDirectory("holes");
  const std::string path = dir + "/sparse";
  const std::vector<uint8_t> a = testing::PatternBytes(4096, 3);
  const std::vector<uint8_t> b = testing::PatternBytes(100, 4);
  const uint64_t size = 4 << 20;
  const FileExtent extents[] = {{0, a}, {2 << 20, b}};
  ASSERT_TRUE(WriteFileAtomically(path, size, extents).ok());

  EXPECT_EQ(SizeOf(path), size);
  // What the file occupies on disk; written with zeros it would be 4 MiB.
  DWORD high = 0;
  const DWORD low = GetCompressedFileSizeA(path.c_str(), &high);
  ASSERT_NE(low, INVALID_FILE_SIZE) << GetLastError();
  const uint64_t occupied = (uint64_t{high} << 32) | low;
  if (RunningUnderWine()) {
    EXPECT_EQ(occupied, size) << "Wine reports the logical size";
  } else {
    EXPECT_LT(occupied, uint64_t{256} << 10);
  }
  const std::vector<uint8_t> bytes = testing::ReadFileBytes(path);
  ASSERT_EQ(bytes.size(), size);
  EXPECT_TRUE(std::equal(a.begin(), a.end(), bytes.begin()));
  EXPECT_TRUE(std::equal(b.begin(), b.end(), bytes.begin() + (2 << 20)));
  EXPECT_EQ(bytes[size - 1], 0);
  EXPECT_EQ(bytes[1 << 20], 0);
}

TEST(AtomicFileWindowsTest, ReplacesExistingFileOldReadersKeepTheOld) {
  const std::string dir = testing::MakeDirectory("replace");
  const std::string path = dir + "/image";
  const std::vector<uint8_t> old_bytes = testing::PatternBytes(8192, 5);
  const FileExtent old_extent[] = {{0, old_bytes}};
  ASSERT_TRUE(WriteFileAtomically(path, old_bytes.size(), old_extent).ok());
  HANDLE old_reader = OpenShared(path);
  ASSERT_NE(old_reader, INVALID_HANDLE_VALUE) << GetLastError();

  const std::vector<uint8_t> new_bytes = testing::PatternBytes(300, 6);
  const FileExtent new_extent[] = {{0, new_bytes}};
  absl::Status replaced =
      WriteFileAtomically(path, new_bytes.size(), new_extent);
  if (RunningUnderWine()) {
    // Refused while open; the target and the directory are as they were.
    EXPECT_EQ(replaced.code(), absl::StatusCode::kPermissionDenied);
    EXPECT_THAT(Message(replaced),
                HasSubstr("windows: MoveFileExW(" + path + ".tmp."));
    EXPECT_EQ(testing::ReadFileBytes(path), old_bytes);
  } else {
    ASSERT_TRUE(replaced.ok()) << replaced;
    EXPECT_EQ(testing::ReadFileBytes(path), new_bytes);
  }
  EXPECT_EQ(ReadFrom(old_reader), old_bytes);
  CloseHandle(old_reader);
  EXPECT_THAT(testing::ListDirectory(dir), ElementsAre("image"));

  // With no reader left, replacing works everywhere.
  ASSERT_TRUE(WriteFileAtomically(path, new_bytes.size(), new_extent).ok());
  EXPECT_EQ(testing::ReadFileBytes(path), new_bytes);
  EXPECT_THAT(testing::ListDirectory(dir), ElementsAre("image"));
}

TEST(AtomicFileWindowsTest, MissingDirectoryNamesPathAndLeavesNothing) {
  const std::string missing = testing::TempPath("missing");
  const std::string path = missing + "/image";
  const std::vector<uint8_t> bytes = testing::PatternBytes(10);
  const FileExtent extents[] = {{0, bytes}};
  absl::Status status = WriteFileAtomically(path, 10, extents);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(Message(status),
              HasSubstr("windows: CreateFileW(" + path + ".tmp."));
  EXPECT_THAT(Message(status), HasSubstr(", CREATE_NEW) failed: error 3 ("));
  EXPECT_EQ(GetFileAttributesA(missing.c_str()), INVALID_FILE_ATTRIBUTES);
}

TEST(AtomicFileWindowsTest, FailedRenameRemovesTheTemporaryFile) {
  // The target is a non-empty directory: everything works up to the rename.
  const std::string dir = testing::MakeDirectory("rename");
  const std::string path = dir + "/occupied";
  ASSERT_TRUE(CreateDirectoryA(path.c_str(), nullptr));
  ASSERT_TRUE(CreateDirectoryA((path + "/child").c_str(), nullptr));
  const std::vector<uint8_t> bytes = testing::PatternBytes(10);
  const FileExtent extents[] = {{0, bytes}};
  absl::Status status = WriteFileAtomically(path, 10, extents);
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(status.message(),
              HasSubstr("windows: MoveFileExW(" + path + ".tmp."));
  EXPECT_THAT(status.message(),
              HasSubstr(", " + path +
                        ", MOVEFILE_REPLACE_EXISTING | "
                        "MOVEFILE_WRITE_THROUGH) failed: error "));
  EXPECT_THAT(testing::ListDirectory(dir), ElementsAre("occupied"));
  EXPECT_THAT(testing::ListDirectory(path), ElementsAre("child"));
}

// atomic_file_test.cc checks that nothing is created; this, the words.
TEST(AtomicFileWindowsTest, SizeBeyondWhatWindowsAcceptsIsRefused) {
  absl::Status status =
      WriteFileAtomically(testing::TempPath("too_large"), ~uint64_t{0}, {});
  EXPECT_EQ(status.message(),
            "file size 18446744073709551615 exceeds the largest file size "
            "Windows accepts");
}

}  // namespace
}  // namespace granule
