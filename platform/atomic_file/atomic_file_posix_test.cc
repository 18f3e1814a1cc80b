// SPDX-License-Identifier: Apache-2.0
// WriteFileAtomically on POSIX: mode 0644, holes, the old inode kept by its
// readers, and errors that name the system call.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "platform/atomic_file/atomic_file.h"
#include "platform/atomic_file/atomic_file_test_util.h"
#include "testing/host_probes.h"
#include "testing/temp_file.h"

namespace granule {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

struct stat Stat(const std::string& path) {
  struct stat st = {};
  EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
  return st;
}

TEST(AtomicFilePosixTest, GapsAndTailAreHoles) {
  const std::string dir = testing::MakeDirectory("holes");
  const std::string path = dir + "/sparse";
  const std::vector<uint8_t> a = testing::PatternBytes(4096, 3);
  const std::vector<uint8_t> b = testing::PatternBytes(100, 4);
  const uint64_t size = 4 << 20;
  const FileExtent extents[] = {{0, a}, {2 << 20, b}};
  ASSERT_TRUE(WriteFileAtomically(path, size, extents).ok());

  const struct stat st = Stat(path);
  EXPECT_EQ(static_cast<uint64_t>(st.st_size), size);
  EXPECT_EQ(st.st_mode & 07777, 0644) << "readable by others, as images are";
  // Two blocks hold the data; allow for metadata and large blocks, but a
  // file written with zeros would occupy all 4 MiB. Only a filesystem that
  // keeps holes can show it.
  const absl::StatusOr<testing::FileStorage> storage =
      testing::ProbeFileStorage(dir);
  ASSERT_TRUE(storage.ok()) << storage.status();
  RecordProperty("filesystem_keeps_holes", storage->keeps_holes ? "yes" : "no");
  if (storage->keeps_holes) {
    EXPECT_LT(
        static_cast<uint64_t>(st.st_blocks) * 512,
        std::max<uint64_t>(uint64_t{256} << 10, 4 * storage->allocation_unit));
  } else {
    std::printf("not checked: the filesystem under %s keeps no holes\n",
                dir.c_str());
  }
  const std::vector<uint8_t> bytes = testing::ReadFileBytes(path);
  ASSERT_EQ(bytes.size(), size);
  EXPECT_TRUE(std::equal(b.begin(), b.end(), bytes.begin() + (2 << 20)));
  EXPECT_EQ(bytes[size - 1], 0);
}

TEST(AtomicFilePosixTest, ReplacesExistingFileWhileOldReadersKeepTheOld) {
  const std::string dir = testing::MakeDirectory("replace");
  const std::string path = dir + "/image";
  const std::vector<uint8_t> old_bytes = testing::PatternBytes(8192, 5);
  const FileExtent old_extent[] = {{0, old_bytes}};
  ASSERT_TRUE(WriteFileAtomically(path, old_bytes.size(), old_extent).ok());
  const int old_fd = open(path.c_str(), O_RDONLY);
  ASSERT_GE(old_fd, 0);

  const std::vector<uint8_t> new_bytes = testing::PatternBytes(300, 6);
  const FileExtent new_extent[] = {{0, new_bytes}};
  ASSERT_TRUE(WriteFileAtomically(path, new_bytes.size(), new_extent).ok());
  EXPECT_EQ(testing::ReadFileBytes(path), new_bytes);

  // The old inode is untouched: a reader that had it open sees all of it.
  std::vector<uint8_t> seen(old_bytes.size());
  EXPECT_EQ(pread(old_fd, seen.data(), seen.size(), 0),
            static_cast<ssize_t>(seen.size()));
  close(old_fd);
  EXPECT_EQ(seen, old_bytes);
  EXPECT_THAT(testing::ListDirectory(dir), ElementsAre("image"));
}

TEST(AtomicFilePosixTest, MissingDirectoryNamesPathAndLeavesNothing) {
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

TEST(AtomicFilePosixTest, FailedRenameRemovesTheTemporaryFile) {
  // The target is a non-empty directory: everything works up to rename.
  const std::string dir = testing::MakeDirectory("rename");
  const std::string path = dir + "/occupied";
  ASSERT_EQ(mkdir(path.c_str(), 0755), 0);
  ASSERT_EQ(mkdir((path + "/child").c_str(), 0755), 0);
  const std::vector<uint8_t> bytes = testing::PatternBytes(10);
  const FileExtent extents[] = {{0, bytes}};
  absl::Status status = WriteFileAtomically(path, 10, extents);
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(status.message(), HasSubstr("posix: rename(" + path + ".tmp."));
  EXPECT_THAT(status.message(), HasSubstr(", " + path + ") failed"));
  EXPECT_THAT(testing::ListDirectory(dir), ElementsAre("occupied"));
  EXPECT_THAT(testing::ListDirectory(path), ElementsAre("child"));
}

// atomic_file_test.cc checks that nothing is created; this, the words.
TEST(AtomicFilePosixTest, SizeBeyondTheLargestOffTIsRefused) {
  absl::Status status =
      WriteFileAtomically(testing::TempPath("too_large"), ~uint64_t{0}, {});
  EXPECT_EQ(status.message(),
            "file size 18446744073709551615 exceeds the largest off_t");
}

}  // namespace
}  // namespace granule
