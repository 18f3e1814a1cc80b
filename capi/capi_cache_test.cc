// SPDX-License-Identifier: Apache-2.0
// granule_load_options.cache_dir: an image this machine's shared path
// refuses (p_align 1 KiB, below any page) mapped shared from its cached
// copy; ignored for callers whose struct ends before it; a directory others
// can write refused with the reason.
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "capi/capi_test_util.h"
#include "capi/granule.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loader/elf/relocation_types.h"
#include "testing/raw_elf.h"
#include "testing/temp_file.h"

namespace granule::capi {
namespace {

using ::testing::HasSubstr;

std::string SmallAlignImage() {
  granule::testing::RawElf elf = granule::testing::RelocatedImage(
      ElfVariant{}, granule::testing::RawRelocations::kRela, elf::kMachineNone,
      kGranuleRelative);
  for (Segment& s : elf.segments) {
    if (s.is_load()) s.align = 0x400;
  }
  absl::StatusOr<std::string> path =
      granule::testing::WriteTempFile("small_align", elf.Encode());
  EXPECT_TRUE(path.ok()) << path.status();
  return path.value_or("");
}

std::string Directory(mode_t mode) {
  const std::string dir = granule::testing::TempPath("cache");
  EXPECT_EQ(mkdir(dir.c_str(), 0755), 0);
  EXPECT_EQ(chmod(dir.c_str(), mode), 0);
  return dir;
}

Image Load(const std::string& path, const granule_load_options& options) {
  granule_image* image = nullptr;
  EXPECT_EQ(granule_load(path.c_str(), &options, &image), GRANULE_OK)
      << granule_last_error();
  return Image(image);
}

TEST(CapiCacheTest, TheCachedCopyIsMappedShared) {
  if (sysconf(_SC_PAGESIZE) > 0x10000) {
    GTEST_SKIP() << "the image's two segments share one page here";
  }
  const std::string path = SmallAlignImage();
  const std::string dir = Directory(0755);
  granule_load_options options;
  granule_load_options_init(&options);
  EXPECT_EQ(options.cache_dir, nullptr);
  const Image plain = Load(path, options);
  ASSERT_NE(plain, nullptr);
  EXPECT_NE(granule_image_route(plain.get()), GRANULE_ROUTE_SHARED_WHOLE)
      << granule_image_reason(plain.get());

  options.cache_dir = dir.c_str();
  options.cache_file_mode = 0640;
  const Image cached = Load(path, options);
  ASSERT_NE(cached, nullptr);
  EXPECT_EQ(granule_image_route(cached.get()), GRANULE_ROUTE_SHARED_WHOLE)
      << granule_image_reason(cached.get());
  EXPECT_THAT(granule_image_reason(cached.get()),
              HasSubstr("mapped from the cached copy " + dir));
}

TEST(CapiCacheTest, OlderCallersGetNoCache) {
  const std::string path = SmallAlignImage();
  const std::string dir = Directory(0755);
  granule_load_options options;
  granule_load_options_init(&options);
  options.cache_dir = dir.c_str();
  options.struct_size =
      static_cast<uint32_t>(offsetof(granule_load_options, cache_dir));
  const Image image = Load(path, options);
  ASSERT_NE(image, nullptr);
  EXPECT_NE(granule_image_route(image.get()), GRANULE_ROUTE_SHARED_WHOLE)
      << granule_image_reason(image.get());
  EXPECT_THAT(granule_image_reason(image.get()),
              ::testing::Not(HasSubstr("cache")));
}

TEST(CapiCacheTest, DirectoriesOthersCanWriteAreRefused) {
  const std::string path = SmallAlignImage();
  const std::string dir = Directory(0777);
  granule_load_options options;
  granule_load_options_init(&options);
  options.cache_dir = dir.c_str();
  const Image image = Load(path, options);
  ASSERT_NE(image, nullptr);
  EXPECT_NE(granule_image_route(image.get()), GRANULE_ROUTE_SHARED_WHOLE)
      << granule_image_reason(image.get());
  EXPECT_THAT(granule_image_reason(image.get()),
              HasSubstr("the image cache was not used: cache directory " +
                        dir + " refused: mode 0777"));
}

}  // namespace
}  // namespace granule::capi
