// SPDX-License-Identifier: Apache-2.0
// File on POSIX: the errors name the call and errno's text; reads only from
// the page cache.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "platform/file.h"
#include "testing/temp_file.h"

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

// A cached read gives the file's bytes; a file dropped from the page cache is
// never said to be cached. Whether a warm one is depends on the kernel and
// the file system (preadv2's RWF_NOWAIT), so both answers are accepted there.
// The caller's descriptor is read, not duplicated: it stays open and at its
// position after the File is gone.
TEST(FilePosixTest, ADescriptorStaysTheCallers) {
  const std::vector<uint8_t> bytes = testing::PatternBytes(64);
  absl::StatusOr<std::string> path = testing::WriteTempFile("borrowed", bytes);
  ASSERT_TRUE(path.ok());
  const int fd = open(path->c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(lseek(fd, 5, SEEK_SET), 5);
  {
    absl::StatusOr<File> file = File::ForDescriptor(fd, "borrowed.go");
    ASSERT_TRUE(file.ok()) << file.status();
    EXPECT_EQ(file->native_handle(), fd);
    EXPECT_EQ(file->size(), 64u);
    std::vector<uint8_t> out(8);
    ASSERT_TRUE(file->ReadAt(16, absl::MakeSpan(out)).ok());
    EXPECT_EQ(out, std::vector<uint8_t>(bytes.begin() + 16, bytes.begin() + 24));
  }
  EXPECT_NE(fcntl(fd, F_GETFD), -1) << "the fd was closed";
  EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 5);
  close(fd);
}

// Unchecked up front, a descriptor open for writing only is named as such
// by the read that fails.
TEST(FilePosixTest, AWriteOnlyDescriptorFailsItsFirstReadSayingSo) {
  absl::StatusOr<std::string> path =
      testing::WriteTempFile("write_only", testing::PatternBytes(64));
  ASSERT_TRUE(path.ok());
  const int fd = open(path->c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  absl::StatusOr<File> file = File::ForDescriptor(fd, "write_only.go");
  ASSERT_TRUE(file.ok()) << file.status();
  std::vector<uint8_t> out(8);
  const absl::Status read = file->ReadAt(0, absl::MakeSpan(out));
  EXPECT_EQ(read.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(read.message(), HasSubstr("pread('write_only.go'"));
  EXPECT_THAT(read.message(), HasSubstr("open for writing only (O_WRONLY)"));
  // Where the system has the cache-only read, it fails the same way.
  const absl::StatusOr<bool> cached =
      file->ReadAtIfCached(0, absl::MakeSpan(out));
  if (!cached.ok()) {
    EXPECT_THAT(cached.status().message(), HasSubstr("O_WRONLY"));
  } else {
    EXPECT_FALSE(*cached);
  }
  close(fd);
}

TEST(FilePosixTest, ReadsFromThePageCacheOnly) {
  const std::vector<uint8_t> bytes = testing::PatternBytes(3 * 4096, 9);
  absl::StatusOr<std::string> path = testing::WriteTempFile("cached", bytes);
  ASSERT_TRUE(path.ok());
  absl::StatusOr<File> file = File::OpenForReading(*path);
  ASSERT_TRUE(file.ok()) << file.status();
  std::vector<uint8_t> out(4096);
  ASSERT_TRUE(file->ReadAt(4096, absl::MakeSpan(out)).ok());
  absl::StatusOr<bool> warm = file->ReadAtIfCached(4096, absl::MakeSpan(out));
  ASSERT_TRUE(warm.ok()) << warm.status();
  if (*warm) {
    EXPECT_EQ(out, std::vector<uint8_t>(bytes.begin() + 4096,
                                        bytes.begin() + 8192));
  }
  const int fd = static_cast<int>(file->native_handle());
  ASSERT_EQ(fdatasync(fd), 0);
  ASSERT_EQ(posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED), 0);
  absl::StatusOr<bool> cold = file->ReadAtIfCached(0, absl::MakeSpan(out));
  ASSERT_TRUE(cold.ok()) << cold.status();
  EXPECT_FALSE(*cold) << "dropped from the page cache, yet read as cached";
  std::printf("warm file read from the page cache: %s\n",
              *warm ? "yes" : "cannot tell");
}

}  // namespace
}  // namespace granule
