// WriteFileAtomically on Windows: the cases of atomic_file_test.cc, asked of
// Win32 (no file modes, no directory fsync), with Windows' own errors.
#include <windows.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "platform/atomic_file.h"
#include "testing/temp_file.h"

namespace granule {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// Wine differs from Windows in two things these tests see: its server
// refuses to rename over a file that is open anywhere, and it reports a
// sparse file's logical size as the size it occupies.
bool RunningUnderWine() {
  return GetProcAddress(GetModuleHandleA("ntdll.dll"), "wine_get_version") !=
         nullptr;
}

std::string Message(const absl::Status& status) {
  return std::string(status.message());
}

std::string MakeDirectory(const std::string& stem) {
  std::string dir = testing::TempPath(stem);
  EXPECT_TRUE(CreateDirectoryA(dir.c_str(), nullptr)) << dir;
  return dir;
}

std::vector<std::string> List(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
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

std::vector<uint8_t> ReadAll(const std::string& path) {
  HANDLE handle = OpenShared(path);
  if (handle == INVALID_HANDLE_VALUE) return {};
  std::vector<uint8_t> bytes = ReadFrom(handle);
  CloseHandle(handle);
  return bytes;
}

uint64_t SizeOf(const std::string& path) {
  WIN32_FILE_ATTRIBUTE_DATA data;
  EXPECT_TRUE(GetFileAttributesExA(path.c_str(), GetFileExInfoStandard, &data))
      << path;
  return (uint64_t{data.nFileSizeHigh} << 32) | data.nFileSizeLow;
}

TEST(AtomicFileWindowsTest, RoundTripsExtentsWithZerosBetween) {
  const std::string dir = MakeDirectory("round_trip");
  const std::string path = dir + "/image";
  const std::vector<uint8_t> a = testing::PatternBytes(100, 1);
  const std::vector<uint8_t> b = testing::PatternBytes(200, 2);
  const FileExtent extents[] = {{0, a}, {5000, b}};
  ASSERT_TRUE(WriteFileAtomically(path, 10000, extents).ok());

  std::vector<uint8_t> expected(10000, 0);
  std::copy(a.begin(), a.end(), expected.begin());
  std::copy(b.begin(), b.end(), expected.begin() + 5000);
  EXPECT_EQ(ReadAll(path), expected);
  EXPECT_THAT(List(dir), ElementsAre("image"));
}

TEST(AtomicFileWindowsTest, EmptyFile) {
  const std::string dir = MakeDirectory("empty");
  ASSERT_TRUE(WriteFileAtomically(dir + "/empty", 0, {}).ok());
  EXPECT_EQ(SizeOf(dir + "/empty"), 0u);
  EXPECT_THAT(List(dir), ElementsAre("empty"));
}

TEST(AtomicFileWindowsTest, GapsAndTailReadAsZerosAndAreHolesOnWindows) {
  const std::string dir = MakeDirectory("holes");
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
  const std::vector<uint8_t> bytes = ReadAll(path);
  ASSERT_EQ(bytes.size(), size);
  EXPECT_TRUE(std::equal(a.begin(), a.end(), bytes.begin()));
  EXPECT_TRUE(std::equal(b.begin(), b.end(), bytes.begin() + (2 << 20)));
  EXPECT_EQ(bytes[size - 1], 0);
  EXPECT_EQ(bytes[1 << 20], 0);
}

TEST(AtomicFileWindowsTest, ReplacesExistingFileOldReadersKeepTheOld) {
  const std::string dir = MakeDirectory("replace");
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
    EXPECT_EQ(ReadAll(path), old_bytes);
  } else {
    ASSERT_TRUE(replaced.ok()) << replaced;
    EXPECT_EQ(ReadAll(path), new_bytes);
  }
  EXPECT_EQ(ReadFrom(old_reader), old_bytes);
  CloseHandle(old_reader);
  EXPECT_THAT(List(dir), ElementsAre("image"));

  // With no reader left, replacing works everywhere.
  ASSERT_TRUE(WriteFileAtomically(path, new_bytes.size(), new_extent).ok());
  EXPECT_EQ(ReadAll(path), new_bytes);
  EXPECT_THAT(List(dir), ElementsAre("image"));
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
  const std::string dir = MakeDirectory("rename");
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
  EXPECT_THAT(List(dir), ElementsAre("occupied"));
  EXPECT_THAT(List(path), ElementsAre("child"));
}

TEST(AtomicFileWindowsTest, BadExtentsAreRejectedBeforeAnythingIsCreated) {
  const std::string dir = MakeDirectory("bad_extents");
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

  const FileExtent huge[] = {{~uint64_t{0} - 1, four}};
  status = WriteFileAtomically(path, 100, huge);
  EXPECT_THAT(status.message(), HasSubstr("runs past the file size 100"));

  status = WriteFileAtomically(path, ~uint64_t{0}, {});
  EXPECT_EQ(status.message(),
            "file size 18446744073709551615 exceeds the largest file size "
            "Windows accepts");

  EXPECT_THAT(List(dir), IsEmpty());
}

}  // namespace
}  // namespace granule
