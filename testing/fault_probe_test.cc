// The probe itself must be trustworthy before other tests rely on it.
#include "testing/fault_probe.h"

#include <sys/mman.h>
#include <unistd.h>

#include "gtest/gtest.h"

namespace granule::testing {
namespace {

TEST(FaultProbeTest, TellsProtectionsApart) {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  void* p = mmap(nullptr, 3 * page, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(p, MAP_FAILED);
  char* none = static_cast<char*>(p);
  char* read_only = none + page;
  char* read_write = none + 2 * page;
  read_only[0] = 42;
  ASSERT_EQ(mprotect(none, page, PROT_NONE), 0);
  ASSERT_EQ(mprotect(read_only, page, PROT_READ), 0);

  EXPECT_TRUE(ReadFaults(none));
  EXPECT_TRUE(WriteFaults(none));
  EXPECT_FALSE(ReadFaults(read_only));
  EXPECT_TRUE(WriteFaults(read_only));
  EXPECT_EQ(read_only[0], 42);
  EXPECT_FALSE(ReadFaults(read_write));
  EXPECT_FALSE(WriteFaults(read_write));
  // A second fault after a first: the handler and signal mask were restored.
  EXPECT_TRUE(WriteFaults(read_only));
  munmap(p, 3 * page);
}

}  // namespace
}  // namespace granule::testing
