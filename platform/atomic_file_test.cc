#include "platform/atomic_file.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/temp_file.h"

namespace granule {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// A fresh, empty directory, so a test can list exactly what it left.
std::string MakeDirectory(const std::string& stem) {
  std::string dir = testing::TempPath(stem);
  EXPECT_EQ(mkdir(dir.c_str(), 0755), 0) << dir;
  return dir;
}

std::vector<std::string> List(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return names;
  while (dirent* entry = readdir(d)) {
    const std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  closedir(d);
  return names;
}

std::vector<uint8_t> ReadAll(const std::string& path) {
  std::vector<uint8_t> bytes;
  const int fd = open(path.c_str(), O_RDONLY);
  if (fd < 0) return bytes;
  uint8_t buffer[65536];
  ssize_t n;
  while ((n = read(fd, buffer, sizeof buffer)) > 0) {
    bytes.insert(bytes.end(), buffer, buffer + n);
  }
  close(fd);
  return bytes;
}

struct stat Stat(const std::string& path) {
  struct stat st = {};
  EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
  return st;
}

TEST(AtomicFileTest, RoundTripsExtentsWithZerosBetween) {
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
  EXPECT_EQ(Stat(path).st_mode & 07777, 0644);
  EXPECT_THAT(List(dir), ElementsAre("image"));
}

TEST(AtomicFileTest, EmptyFile) {
  const std::string dir = MakeDirectory("empty");
  ASSERT_TRUE(WriteFileAtomically(dir + "/empty", 0, {}).ok());
  EXPECT_EQ(Stat(dir + "/empty").st_size, 0);
  EXPECT_THAT(List(dir), ElementsAre("empty"));
}

TEST(AtomicFileTest, GapsAndTailAreHoles) {
  const std::string dir = MakeDirectory("holes");
  const std::string path = dir + "/sparse";
  const std::vector<uint8_t> a = testing::PatternBytes(4096, 3);
  const std::vector<uint8_t> b = testing::PatternBytes(100, 4);
  const uint64_t size = 4 << 20;
  const FileExtent extents[] = {{0, a}, {2 << 20, b}};
  ASSERT_TRUE(WriteFileAtomically(path, size, extents).ok());

  const struct stat st = Stat(path);
  EXPECT_EQ(static_cast<uint64_t>(st.st_size), size);
  // Two blocks hold the data; allow for metadata and large blocks, but a
  // file written with zeros would occupy all 4 MiB.
  EXPECT_LT(static_cast<uint64_t>(st.st_blocks) * 512, uint64_t{256} << 10);
  const std::vector<uint8_t> bytes = ReadAll(path);
  ASSERT_EQ(bytes.size(), size);
  EXPECT_TRUE(std::equal(b.begin(), b.end(), bytes.begin() + (2 << 20)));
  EXPECT_EQ(bytes[size - 1], 0);
}

TEST(AtomicFileTest, ReplacesExistingFileWhileOldReadersKeepTheOld) {
  const std::string dir = MakeDirectory("replace");
  const std::string path = dir + "/image";
  const std::vector<uint8_t> old_bytes = testing::PatternBytes(8192, 5);
  const FileExtent old_extent[] = {{0, old_bytes}};
  ASSERT_TRUE(WriteFileAtomically(path, old_bytes.size(), old_extent).ok());
  const int old_fd = open(path.c_str(), O_RDONLY);
  ASSERT_GE(old_fd, 0);

  const std::vector<uint8_t> new_bytes = testing::PatternBytes(300, 6);
  const FileExtent new_extent[] = {{0, new_bytes}};
  ASSERT_TRUE(WriteFileAtomically(path, new_bytes.size(), new_extent).ok());
  EXPECT_EQ(ReadAll(path), new_bytes);

  // The old inode is untouched: a reader that had it open sees all of it.
  std::vector<uint8_t> seen(old_bytes.size());
  EXPECT_EQ(pread(old_fd, seen.data(), seen.size(), 0),
            static_cast<ssize_t>(seen.size()));
  close(old_fd);
  EXPECT_EQ(seen, old_bytes);
  EXPECT_THAT(List(dir), ElementsAre("image"));
}

TEST(AtomicFileTest, MissingDirectoryNamesPathAndLeavesNothing) {
  const std::string missing = testing::TempPath("missing");
  const std::string path = missing + "/image";
  const std::vector<uint8_t> bytes = testing::PatternBytes(10);
  const FileExtent extents[] = {{0, bytes}};
  absl::Status status = WriteFileAtomically(path, 10, extents);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(status.message(),
              HasSubstr("posix: mkostemp(" + path + ".tmp.XXXXXX) failed"));
  EXPECT_THAT(status.message(), HasSubstr("No such file"));
  struct stat st;
  EXPECT_NE(stat(missing.c_str(), &st), 0);
}

TEST(AtomicFileTest, FailedRenameRemovesTheTemporaryFile) {
  // The target is a non-empty directory: everything works up to rename.
  const std::string dir = MakeDirectory("rename");
  const std::string path = dir + "/occupied";
  ASSERT_EQ(mkdir(path.c_str(), 0755), 0);
  ASSERT_EQ(mkdir((path + "/child").c_str(), 0755), 0);
  const std::vector<uint8_t> bytes = testing::PatternBytes(10);
  const FileExtent extents[] = {{0, bytes}};
  absl::Status status = WriteFileAtomically(path, 10, extents);
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(status.message(), HasSubstr("posix: rename(" + path + ".tmp."));
  EXPECT_THAT(status.message(), HasSubstr(", " + path + ") failed"));
  EXPECT_THAT(List(dir), ElementsAre("occupied"));
  EXPECT_THAT(List(path), ElementsAre("child"));
}

TEST(AtomicFileTest, BadExtentsAreRejectedBeforeAnythingIsCreated) {
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

  // An offset near 2^64 must not wrap around the size check.
  const FileExtent huge[] = {{~uint64_t{0} - 1, four}};
  status = WriteFileAtomically(path, 100, huge);
  EXPECT_THAT(status.message(), HasSubstr("runs past the file size 100"));

  status = WriteFileAtomically(path, ~uint64_t{0}, {});
  EXPECT_THAT(status.message(), HasSubstr("exceeds the largest off_t"));

  EXPECT_THAT(List(dir), IsEmpty());
}

}  // namespace
}  // namespace granule
