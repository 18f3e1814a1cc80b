// SPDX-License-Identifier: Apache-2.0
// Loading from an open descriptor and from a window of one: the caller's fd
// is left as it was, granule keeps no descriptor, the window's offset decides
// the path, and bad descriptors and windows are named.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "capi/capi_test_util.h"
#include "capi/granule.h"
#include "gtest/gtest.h"
#include "testing/temp_file.h"

namespace granule::capi {
namespace {

// The lowest free descriptor: what the next open() would return.
int NextFreeDescriptor() {
  const int fd = dup(0);
  if (fd >= 0) close(fd);
  return fd;
}

TEST(CapiLoadFdTest, LoadsAndLeavesTheCallersFdAsItWas) {
  const std::string path = SmallImage("fd.go");
  ASSERT_FALSE(path.empty());
  const int fd = open(path.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(lseek(fd, 5, SEEK_SET), 5);
  const int next_free = NextFreeDescriptor();
  for (granule_path_choice choice : {GRANULE_PATH_SHARED, GRANULE_PATH_MALLOC}) {
    granule_load_options options;
    granule_load_options_init(&options);
    options.path = choice;
    granule_image* loaded = nullptr;
    ASSERT_EQ(granule_load_fd(fd, nullptr, &options, &loaded), GRANULE_OK)
        << granule_last_error();
    Image image(loaded);
    EXPECT_EQ(granule_image_file(image.get()), "fd " + std::to_string(fd));
    EXPECT_TRUE(SmallImageIsIntact(image.get()));
    EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 5) << "the file position moved";
    EXPECT_EQ(NextFreeDescriptor(), next_free) << "granule kept a descriptor";
  }
  // Closing the caller's fd leaves a loaded image intact.
  granule_image* loaded = nullptr;
  ASSERT_EQ(granule_load_fd(fd, "runtime.go", nullptr, &loaded), GRANULE_OK)
      << granule_last_error();
  Image image(loaded);
  ASSERT_EQ(close(fd), 0);
  EXPECT_STREQ(granule_image_file(image.get()), "runtime.go");
  EXPECT_TRUE(SmallImageIsIntact(image.get()));
}

TEST(CapiLoadFdTest, BadDescriptorsAreNamed) {
  granule_image* image = nullptr;
  EXPECT_EQ(granule_load_fd(-1, nullptr, nullptr, &image),
            GRANULE_INVALID_ARGUMENT);
  EXPECT_STREQ(granule_last_error(),
               "'fd -1': fd -1 is not a file descriptor");
  EXPECT_EQ(image, nullptr);

  const std::string path = SmallImage("closed.go");
  ASSERT_FALSE(path.empty());
  const int closed = open(path.c_str(), O_RDONLY);
  ASSERT_GE(closed, 0);
  ASSERT_EQ(close(closed), 0);
  EXPECT_NE(granule_load_fd(closed, "closed.go", nullptr, &image), GRANULE_OK);
  EXPECT_NE(std::string(granule_last_error()).find("'closed.go'"),
            std::string::npos)
      << granule_last_error();
  EXPECT_NE(std::string(granule_last_error())
                .find("fd " + std::to_string(closed)),
            std::string::npos)
      << granule_last_error();
  EXPECT_EQ(image, nullptr);

  EXPECT_EQ(granule_load_fd(0, nullptr, nullptr, nullptr),
            GRANULE_INVALID_ARGUMENT);
  EXPECT_STREQ(granule_last_error(), "granule_load_fd: image is NULL");
}

TEST(CapiLoadFdTest, WriteOnlyDescriptorFailsAndLeavesNothing) {
  const std::string path = SmallImage("write_only.go");
  ASSERT_FALSE(path.empty());
  const int fd = open(path.c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  const uint64_t before = granule_loaded_image_count();
  granule_image* image = nullptr;
  EXPECT_NE(granule_load_fd(fd, "write_only.go", nullptr, &image), GRANULE_OK);
  EXPECT_EQ(image, nullptr);
  EXPECT_EQ(granule_loaded_image_count(), before);
  EXPECT_NE(std::string(granule_last_error()).find("write_only.go"),
            std::string::npos)
      << granule_last_error();
  close(fd);
}

TEST(CapiLoadFdTest, BadImageErrorsUseTheName) {
  auto path = testing::WriteTempFile("not_elf.go", {'n', 'o', 't', ' ', 'e',
                                                    'l', 'f', '!'});
  ASSERT_TRUE(path.ok());
  const int fd = open(path->c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  granule_image* image = nullptr;
  EXPECT_EQ(granule_load_fd(fd, "guile/boot.go", nullptr, &image),
            GRANULE_INVALID_ARGUMENT);
  EXPECT_NE(std::string(granule_last_error()).find("guile/boot.go"),
            std::string::npos)
      << granule_last_error();
  EXPECT_EQ(image, nullptr);
  close(fd);
}

// SmallImage's bytes after `prefix` bytes of 0x5a and before 100 of 0xa5,
// as an image appended to an executable; returns the image's size.
uint64_t AppendedImage(const std::string& path, size_t prefix) {
  const std::string image_path = SmallImage("appended_source.go");
  std::ifstream in(image_path, std::ios::binary);
  const std::vector<char> image((std::istreambuf_iterator<char>(in)), {});
  std::ofstream out(path, std::ios::binary);
  out << std::string(prefix, '\x5a');
  out.write(image.data(), static_cast<std::streamsize>(image.size()));
  out << std::string(100, '\xa5');
  return out.good() ? image.size() : 0;
}

struct Fd {
  explicit Fd(const std::string& path) : fd(open(path.c_str(), O_RDONLY)) {}
  ~Fd() {
    if (fd >= 0) close(fd);
  }
  int fd;
};

TEST(CapiLoadFdRangeTest, AlignedWindowTakesTheSharedPath) {
  const std::string path = testing::TempPath("appended_aligned");
  const uint64_t size = AppendedImage(path, 65536);
  ASSERT_GT(size, 0u);
  Fd file(path);
  ASSERT_GE(file.fd, 0);
  granule_load_options options;
  granule_load_options_init(&options);
  options.require_shared = 1;
  options.map_whole_file = 1;
  granule_image* loaded = nullptr;
  ASSERT_EQ(granule_load_fd_range(file.fd, nullptr, 65536, size, &options,
                                  &loaded),
            GRANULE_OK)
      << granule_last_error();
  Image image(loaded);
  EXPECT_EQ(granule_image_path(image.get()), GRANULE_LOADED_SHARED);
  EXPECT_EQ(granule_image_file(image.get()),
            "fd " + std::to_string(file.fd) + " at offset 65536");
  EXPECT_TRUE(SmallImageIsIntact(image.get()));
  // The window, not the file: its first bytes are the ELF header.
  const void* bytes = nullptr;
  uint64_t bytes_size = 0;
  ASSERT_EQ(granule_image_file_bytes(image.get(), &bytes, &bytes_size),
            GRANULE_OK);
  EXPECT_EQ(bytes_size, size);
  EXPECT_EQ(std::memcmp(bytes, "\x7f" "ELF", 4), 0);
}

TEST(CapiLoadFdRangeTest, MisalignedWindowTakesTheMallocPathAndSaysWhy) {
  const std::string path = testing::TempPath("appended_misaligned");
  const uint64_t size = AppendedImage(path, 100);
  ASSERT_GT(size, 0u);
  Fd file(path);
  ASSERT_GE(file.fd, 0);
  granule_image* loaded = nullptr;
  ASSERT_EQ(granule_load_fd_range(file.fd, "app.exe", 100, size, nullptr,
                                  &loaded),
            GRANULE_OK)
      << granule_last_error();
  Image image(loaded);
  EXPECT_EQ(granule_image_path(image.get()), GRANULE_LOADED_MALLOC);
  EXPECT_NE(std::string(granule_image_reason(image.get()))
                .find("the file window starts at offset 0x64, not a multiple "
                      "of the allocation granularity"),
            std::string::npos)
      << granule_image_reason(image.get());
  EXPECT_TRUE(SmallImageIsIntact(image.get()));

  granule_load_options options;
  granule_load_options_init(&options);
  options.path = GRANULE_PATH_SHARED;
  granule_image* refused = nullptr;
  EXPECT_EQ(granule_load_fd_range(file.fd, "app.exe", 100, size, &options,
                                  &refused),
            GRANULE_FAILED_PRECONDITION);
  EXPECT_EQ(refused, nullptr);
  EXPECT_NE(std::string(granule_last_error())
                .find("app.exe: the shared path is required but the file "
                      "window starts at offset 0x64"),
            std::string::npos)
      << granule_last_error();
}

TEST(CapiLoadFdRangeTest, BadWindowsAreNamed) {
  const std::string path = testing::TempPath("appended_bad");
  const uint64_t size = AppendedImage(path, 65536);
  ASSERT_GT(size, 0u);
  const uint64_t file_size = 65536 + size + 100;
  Fd file(path);
  ASSERT_GE(file.fd, 0);
  const uint64_t before = granule_loaded_image_count();
  granule_image* image = nullptr;
  EXPECT_EQ(granule_load_fd_range(file.fd, "app.exe", 65536, size + 101,
                                  nullptr, &image),
            GRANULE_OUT_OF_RANGE);
  EXPECT_EQ(granule_last_error(),
            "'app.exe': window offset 65536 length " +
                std::to_string(size + 101) +
                " runs past its end (the file has " +
                std::to_string(file_size) + " bytes)");
  EXPECT_EQ(granule_load_fd_range(file.fd, "app.exe", ~uint64_t{0}, 2,
                                  nullptr, &image),
            GRANULE_OUT_OF_RANGE);
  EXPECT_EQ(granule_load_fd_range(file.fd, "app.exe", 0, 0, nullptr, &image),
            GRANULE_OUT_OF_RANGE);
  EXPECT_NE(std::string(granule_last_error()).find("length 0 is empty"),
            std::string::npos)
      << granule_last_error();
  // A window that is not an image at its start.
  EXPECT_EQ(granule_load_fd_range(file.fd, "app.exe", 0, file_size, nullptr,
                                  &image),
            GRANULE_INVALID_ARGUMENT);
  EXPECT_NE(std::string(granule_last_error()).find("app.exe"),
            std::string::npos)
      << granule_last_error();
  EXPECT_EQ(granule_load_fd_range(-3, nullptr, 0, 1, nullptr, &image),
            GRANULE_INVALID_ARGUMENT);
  EXPECT_EQ(image, nullptr);
  EXPECT_EQ(granule_loaded_image_count(), before);
}

}  // namespace
}  // namespace granule::capi
