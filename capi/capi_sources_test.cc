// SPDX-License-Identifier: Apache-2.0
// Loading from an open descriptor: the caller's fd is left as it was, granule
// keeps no descriptor, and bad descriptors are named.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <string>

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

}  // namespace
}  // namespace granule::capi
