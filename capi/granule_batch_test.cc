// SPDX-License-Identifier: Apache-2.0
// granule_load_many through the C API: good files load, bad ones fail alone
// with their own status and error text naming them, arguments are checked.
#include <string>
#include <vector>

#include "capi/granule.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loader/elf/relocation_types.h"
#include "testing/raw_elf.h"
#include "testing/temp_file.h"

namespace granule {
namespace {

using ::testing::HasSubstr;

std::string WriteGood() {
  absl::StatusOr<std::string> path = granule::testing::WriteTempFile(
      "good", granule::testing::RelocatedImage(
                  ElfVariant{true, false},
                  granule::testing::RawRelocations::kRela, elf::kMachineNone,
                  kGranuleRelative)
                  .Encode());
  EXPECT_TRUE(path.ok()) << path.status();
  return path.value_or("");
}

TEST(GranuleLoadManyTest, EachFileFailsAlone) {
  absl::StatusOr<std::string> garbage = granule::testing::WriteTempFile(
      "garbage", granule::testing::PatternBytes(100));
  ASSERT_TRUE(garbage.ok());
  const std::string good_a = WriteGood(), good_b = WriteGood();
  const std::vector<const char*> paths = {good_a.c_str(), garbage->c_str(),
                                          good_b.c_str()};
  const uint64_t before = granule_loaded_image_count();
  granule_image* images[3];
  granule_status statuses[3];
  const granule_status status = granule_load_many(
      paths.data(), paths.size(), nullptr, images, statuses);
  EXPECT_EQ(status, statuses[1]);
  EXPECT_NE(status, GRANULE_OK);
  EXPECT_THAT(granule_last_error(), HasSubstr("1 of 3 files failed"));
  EXPECT_THAT(granule_last_error(), HasSubstr(*garbage));
  EXPECT_EQ(statuses[0], GRANULE_OK);
  EXPECT_EQ(statuses[2], GRANULE_OK);
  ASSERT_NE(images[0], nullptr);
  ASSERT_NE(images[2], nullptr);
  EXPECT_EQ(images[1], nullptr);
  EXPECT_STREQ(granule_load_many_error(0), "");
  EXPECT_THAT(granule_load_many_error(1), HasSubstr(*garbage));
  EXPECT_STREQ(granule_load_many_error(7), "");
  EXPECT_STREQ(granule_image_file(images[2]), good_b.c_str());
  EXPECT_EQ(granule_loaded_image_count(), before + 2);
  EXPECT_EQ(granule_find_image(reinterpret_cast<const void*>(
                granule_image_begin(images[0]))),
            images[0]);
  // Released in any order: the arena stays while an image holds it.
  granule_image_release(images[0]);
  granule_image_release(images[2]);
  EXPECT_EQ(granule_loaded_image_count(), before);

  const std::vector<const char*> good = {good_a.c_str(), good_b.c_str()};
  granule_load_options options;
  granule_load_options_init(&options);
  options.path = GRANULE_PATH_SHARED;
  ASSERT_EQ(granule_load_many(good.data(), good.size(), &options, images,
                              statuses),
            GRANULE_OK)
      << granule_last_error();
  EXPECT_EQ(granule_image_path(images[0]), GRANULE_LOADED_SHARED);
  granule_image_release(images[1]);
  granule_image_release(images[0]);
}

TEST(GranuleLoadManyTest, ChecksItsArguments) {
  granule_image* images[1];
  granule_status statuses[1];
  const char* none[1] = {nullptr};
  EXPECT_EQ(granule_load_many(nullptr, 0, nullptr, nullptr, nullptr),
            GRANULE_OK);
  EXPECT_EQ(granule_load_many(nullptr, 1, nullptr, images, statuses),
            GRANULE_INVALID_ARGUMENT);
  EXPECT_STREQ(granule_last_error(), "granule_load_many: paths is NULL");
  EXPECT_EQ(images[0], nullptr);
  EXPECT_EQ(granule_load_many(none, 1, nullptr, images, statuses),
            GRANULE_INVALID_ARGUMENT);
  EXPECT_STREQ(granule_last_error(), "granule_load_many: paths[i] is NULL");
  EXPECT_EQ(granule_load_many(none, 1, nullptr, nullptr, statuses),
            GRANULE_INVALID_ARGUMENT);
  granule_load_options bad;
  granule_load_options_init(&bad);
  bad.path = 9;
  const std::string good = WriteGood();
  const char* one[1] = {good.c_str()};
  EXPECT_EQ(granule_load_many(one, 1, &bad, images, statuses),
            GRANULE_INVALID_ARGUMENT);
  EXPECT_THAT(granule_last_error(), HasSubstr("options.path 9"));
  EXPECT_EQ(images[0], nullptr);
}

}  // namespace
}  // namespace granule
