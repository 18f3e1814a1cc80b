// SPDX-License-Identifier: Apache-2.0
// granule_find_image from a SIGSEGV handler: a write to an image's read-only
// page faults, and the handler looks the faulting address up, as a runtime
// telling its own faults from others' would. POSIX only (sigaction).
#include <setjmp.h>
#include <signal.h>

#include <atomic>
#include <cstring>
#include <string>

#include "capi/capi_test_util.h"
#include "capi/granule.h"
#include "gtest/gtest.h"

namespace granule::capi {
namespace {

sigjmp_buf jump_back;
std::atomic<const granule_image*> found{nullptr};
std::atomic<uint64_t> count_in_handler{0};
std::atomic<int> faults{0};
std::atomic<void*> user_data{nullptr};

void OnSegv(int, siginfo_t* info, void*) {
  // Only calls the header lists as async-signal-safe.
  const granule_image* image = granule_find_image(info->si_addr);
  found.store(image);
  if (image != nullptr) user_data.store(granule_image_user_data(image));
  count_in_handler.store(granule_loaded_image_count());
  faults.fetch_add(1);
  siglongjmp(jump_back, 1);
}

TEST(CapiSignalTest, HandlerFindsTheImageOfTheFaultingAddress) {
  const std::string path = SmallImage("signal.go");
  ASSERT_FALSE(path.empty());
  granule_load_options options;
  granule_load_options_init(&options);
  options.path = GRANULE_PATH_SHARED;
  granule_image* loaded = nullptr;
  ASSERT_EQ(granule_load(path.c_str(), &options, &loaded), GRANULE_OK)
      << granule_last_error();
  Image image(loaded);
  const void* rodata = nullptr;
  ASSERT_EQ(granule_image_section(image.get(), ".rodata", &rodata, nullptr),
            GRANULE_OK);
  granule_segment segment;
  ASSERT_EQ(granule_image_segment(image.get(), 0, &segment), GRANULE_OK);
  ASSERT_EQ(segment.protection, GRANULE_PROT_R);
  int record = 0;  // The runtime's record of the module.
  granule_image_set_user_data(image.get(), &record);

  struct sigaction action, previous;
  std::memset(&action, 0, sizeof action);
  action.sa_sigaction = OnSegv;
  action.sa_flags = SA_SIGINFO;
  sigemptyset(&action.sa_mask);
  ASSERT_EQ(sigaction(SIGSEGV, &action, &previous), 0);
  volatile char* target =
      const_cast<volatile char*>(static_cast<const char*>(rodata));
  if (sigsetjmp(jump_back, 1) == 0) {
    *target = 1;  // A read-only page: faults.
  }
  ASSERT_EQ(sigaction(SIGSEGV, &previous, nullptr), 0);
  ASSERT_EQ(faults.load(), 1) << "the write to a read-only page did not fault";
  EXPECT_EQ(found.load(), image.get());
  EXPECT_EQ(user_data.load(), &record);
  EXPECT_EQ(count_in_handler.load(), granule_loaded_image_count());
}

}  // namespace
}  // namespace granule::capi
