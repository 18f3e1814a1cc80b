// SPDX-License-Identifier: Apache-2.0
// granule_arena: loads one at a time carve their ranges from one arena, the
// images keep it alive after the caller's release, a failed load leaves no
// slot behind, and the malloc path ignores it.
#include <string>

#include "capi/capi_test_util.h"
#include "capi/granule.h"
#include "gtest/gtest.h"
#include "testing/temp_file.h"

namespace granule {
namespace {

granule_arena_usage Usage(const granule_arena* arena) {
  granule_arena_usage usage{};
  EXPECT_EQ(granule_arena_usage_get(arena, &usage), GRANULE_OK);
  return usage;
}

granule_image* LoadInto(granule_arena* arena, const std::string& path,
                        granule_path_choice choice = GRANULE_PATH_SHARED) {
  granule_load_options options;
  granule_load_options_init(&options);
  options.path = choice;
  options.arena = arena;
  granule_image* image = nullptr;
  EXPECT_EQ(granule_load(path.c_str(), &options, &image), GRANULE_OK)
      << granule_last_error();
  return image;
}

TEST(CapiArenaTest, LoadsCarveTheirRangesAndTheImagesKeepTheArena) {
  const std::string path = capi::SmallImage("arena_image");
  ASSERT_FALSE(path.empty());
  granule_arena* arena = nullptr;
  ASSERT_EQ(granule_arena_new(&arena), GRANULE_OK) << granule_last_error();
  EXPECT_EQ(Usage(arena).reserved_bytes, 0u);  // Nothing until a load.
  granule_image* a = LoadInto(arena, path);
  granule_image* b = LoadInto(arena, path);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_NE(granule_image_base(a), granule_image_base(b));
  granule_arena_usage usage = Usage(arena);
  EXPECT_EQ(usage.live_images, 2u);
  EXPECT_GT(usage.used_bytes, 0u);
  EXPECT_GE(usage.reserved_bytes, usage.used_bytes);
  const uint64_t used_by_two = usage.used_bytes;

  granule_image_release(a);
  usage = Usage(arena);
  EXPECT_EQ(usage.live_images, 1u);
  EXPECT_EQ(usage.used_bytes, used_by_two / 2);

  // The caller lets go; b still holds the arena and its memory stays good.
  granule_arena_release(arena);
  EXPECT_EQ(granule_find_image(reinterpret_cast<const void*>(
                granule_image_begin(b))),
            b);
  EXPECT_TRUE(capi::SmallImageIsIntact(b));
  granule_image_release(b);
}

TEST(CapiArenaTest, AFailedLoadLeavesNoSlot) {
  absl::StatusOr<std::string> garbage = granule::testing::WriteTempFile(
      "arena_garbage", granule::testing::PatternBytes(100));
  ASSERT_TRUE(garbage.ok());
  const std::string good = capi::SmallImage("arena_good");
  granule_arena* arena = nullptr;
  ASSERT_EQ(granule_arena_new(&arena), GRANULE_OK);
  granule_image* image = LoadInto(arena, good);
  granule_load_options options;
  granule_load_options_init(&options);
  options.arena = arena;
  options.max_image_size = 4096;  // Refused after the headers are read.
  granule_image* refused = nullptr;
  EXPECT_NE(granule_load(good.c_str(), &options, &refused), GRANULE_OK);
  EXPECT_EQ(refused, nullptr);
  options.max_image_size = 0;
  EXPECT_NE(granule_load(garbage->c_str(), &options, &refused), GRANULE_OK);
  EXPECT_EQ(refused, nullptr);
  EXPECT_EQ(Usage(arena).live_images, 1u);
  granule_image_release(image);
  EXPECT_EQ(Usage(arena).live_images, 0u);
  granule_arena_release(arena);
}

TEST(CapiArenaTest, TheMallocPathIgnoresIt) {
  const std::string path = capi::SmallImage("arena_malloc");
  ASSERT_FALSE(path.empty());
  granule_arena* arena = nullptr;
  ASSERT_EQ(granule_arena_new(&arena), GRANULE_OK);
  granule_image* image = LoadInto(arena, path, GRANULE_PATH_MALLOC);
  ASSERT_NE(image, nullptr);
  EXPECT_EQ(granule_image_path(image), GRANULE_LOADED_MALLOC);
  EXPECT_EQ(Usage(arena).live_images, 0u);
  granule_image_release(image);
  granule_arena_release(arena);
}

TEST(CapiArenaTest, NullArguments) {
  EXPECT_EQ(granule_arena_new(nullptr), GRANULE_INVALID_ARGUMENT);
  granule_arena_usage usage;
  EXPECT_EQ(granule_arena_usage_get(nullptr, &usage), GRANULE_INVALID_ARGUMENT);
  granule_arena* arena = nullptr;
  ASSERT_EQ(granule_arena_new(&arena), GRANULE_OK);
  EXPECT_EQ(granule_arena_usage_get(arena, nullptr), GRANULE_INVALID_ARGUMENT);
  granule_arena_release(arena);
  granule_arena_release(nullptr);
}

}  // namespace
}  // namespace granule
