// SPDX-License-Identifier: Apache-2.0
// Small probes that ask the running kernel what it does where kernels are
// free to differ, so a test can assert what is guaranteed and record which
// optional behaviour it saw instead of assuming the machine it was written
// on. Each probe uses a different mechanism from the code under test (smaps
// rather than pagemap, say), so a test cannot agree with itself by
// construction. POSIX only: Windows tests have their own facts.
#ifndef GRANULE_TESTING_HOST_PROBES_H_
#define GRANULE_TESTING_HOST_PROBES_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace granule::testing {

// What the kernel maps for a read of an untouched private anonymous page:
// its one shared zero page (most kernels), or a private page of the
// process's own (seen on paravirtualized guests). Probed with
// /proc/self/smaps: the zero page is not counted in a mapping's Rss.
enum class ZeroPageOnRead { kSharedZeroPage, kPrivatePage };
absl::StatusOr<ZeroPageOnRead> ProbeZeroPageOnRead();
const char* ZeroPageOnReadName(ZeroPageOnRead kind);

// /sys/kernel/mm/transparent_hugepage/enabled: "always", "madvise",
// "never", or "absent" when the kernel has no THP.
std::string TransparentHugePagesMode();

// Whether madvise(MADV_POPULATE_WRITE) exists here (Linux 5.14+).
bool HasMadvisePopulateWrite();

// How the filesystem holding `dir` stores files: whether it keeps holes (a
// file with 1 MiB skipped before its last byte allocates less than that) and
// how many bytes it allocates for a file of one byte (its allocation unit).
struct FileStorage {
  bool keeps_holes;
  uint64_t allocation_unit;
};
absl::StatusOr<FileStorage> ProbeFileStorage(const std::string& dir);

// Whether the effective user is root (file modes do not bind root).
bool RunningAsRoot();

}  // namespace granule::testing

#endif  // GRANULE_TESTING_HOST_PROBES_H_
