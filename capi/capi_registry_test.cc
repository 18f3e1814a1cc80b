// SPDX-License-Identifier: Apache-2.0
// granule_find_image, granule_loaded_images and granule_image_user_data
// without a lock: readers in tight loops while other threads load and
// release images. Run under --config=tsan as well
// (testing/matrix.sh --rows=tsan), which checks that the lock-free lookup
// and the retirement of old tables are race-free.
#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "capi/capi_test_util.h"
#include "capi/granule.h"
#include "gtest/gtest.h"

namespace granule::capi {
namespace {

constexpr int kReaders = 2;
constexpr int kWriters = 2;
constexpr int kRoundsPerWriter = 100;

Image Load(const std::string& path, granule_path_choice choice) {
  granule_load_options options;
  granule_load_options_init(&options);
  options.path = choice;
  granule_image* image = nullptr;
  EXPECT_EQ(granule_load(path.c_str(), &options, &image), GRANULE_OK)
      << granule_last_error();
  return Image(image);
}

TEST(CapiRegistryTest, LookupsRaceLoadsAndReleases) {
  const std::string path = SmallImage("registry.go");
  ASSERT_FALSE(path.empty());
  // Found at every lookup, whatever the writers do.
  Image stable = Load(path, GRANULE_PATH_SHARED);
  ASSERT_NE(stable, nullptr);
  const uintptr_t stable_address = granule_image_begin(stable.get()) + 8;
  const int outside = 0;  // On the stack: in no image.
  granule_image_set_user_data(stable.get(), &stable);

  std::atomic<bool> writing{true};
  std::atomic<long> lookups{0}, wrong{0}, churn_found{0};
  std::atomic<uintptr_t> churn_address{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < kReaders; ++r) {
    readers.emplace_back([&] {
      long n = 0;
      while (writing.load(std::memory_order_relaxed)) {
        if (granule_find_image(reinterpret_cast<const void*>(
                stable_address)) != stable.get()) {
          ++wrong;
        }
        if (granule_find_image(&outside) != nullptr) ++wrong;
        // One consistent table: stable is listed, among at most three.
        const granule_image* listed[8] = {};
        const uint64_t count = granule_loaded_images(listed, 8);
        if (count < 1 || count > 1 + kWriters ||
            std::find(listed, listed + count, stable.get()) ==
                listed + count) {
          ++wrong;
        }
        if (granule_image_user_data(stable.get()) != &stable) ++wrong;
        // An address another thread is loading and releasing: either no
        // image or one that holds it; never a crash or a torn answer.
        const uintptr_t a = churn_address.load(std::memory_order_relaxed);
        if (const granule_image* found =
                granule_find_image(reinterpret_cast<const void*>(a));
            found != nullptr) {
          ++churn_found;
        }
        ++n;
      }
      lookups += n;
    });
  }
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < kRoundsPerWriter; ++i) {
        Image image = Load(path, (i + w) % 2 == 0 ? GRANULE_PATH_SHARED
                                                  : GRANULE_PATH_MALLOC);
        if (image == nullptr) return;
        const uintptr_t a = granule_image_begin(image.get()) + 8;
        churn_address.store(a, std::memory_order_relaxed);
        EXPECT_EQ(granule_find_image(reinterpret_cast<const void*>(a)),
                  image.get());
        const uint64_t n = granule_loaded_image_count();
        EXPECT_GE(n, 2u);  // stable and this one.
      }
    });
  }
  for (std::thread& t : writers) t.join();
  writing = false;
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_GT(lookups.load(), 0);
  EXPECT_EQ(granule_find_image(reinterpret_cast<const void*>(stable_address)),
            stable.get());
  EXPECT_EQ(granule_loaded_image_count(), 1u);
}

TEST(CapiRegistryTest, UserDataAndEnumeration) {
  const std::string path = SmallImage("enumerated.go");
  ASSERT_FALSE(path.empty());
  Image a = Load(path, GRANULE_PATH_SHARED);
  Image b = Load(path, GRANULE_PATH_MALLOC);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(granule_image_user_data(a.get()), nullptr);
  int record_a = 0, record_b = 0;
  granule_image_set_user_data(a.get(), &record_a);
  granule_image_set_user_data(b.get(), &record_b);
  EXPECT_EQ(granule_image_user_data(a.get()), &record_a);
  EXPECT_EQ(granule_image_user_data(b.get()), &record_b);

  EXPECT_EQ(granule_loaded_images(nullptr, 0), 2u);
  const granule_image* listed[2] = {};
  EXPECT_EQ(granule_loaded_images(listed, 1), 2u);  // Only one copied.
  EXPECT_NE(listed[1], a.get());
  EXPECT_EQ(listed[1], nullptr);
  ASSERT_EQ(granule_loaded_images(listed, 2), 2u);
  EXPECT_LT(granule_image_begin(listed[0]), granule_image_begin(listed[1]));
  EXPECT_TRUE((listed[0] == a.get() && listed[1] == b.get()) ||
              (listed[0] == b.get() && listed[1] == a.get()));
  b.reset();
  EXPECT_EQ(granule_loaded_images(listed, 2), 1u);
  EXPECT_EQ(listed[0], a.get());
}

}  // namespace
}  // namespace granule::capi
