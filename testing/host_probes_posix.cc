// SPDX-License-Identifier: Apache-2.0
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "testing/host_probes.h"

namespace granule::testing {
namespace {

// The Rss line of the /proc/self/smaps entry that starts at `start`, in KiB.
absl::StatusOr<uint64_t> SmapsRssKib(uintptr_t start) {
  std::ifstream smaps("/proc/self/smaps");
  if (!smaps) return absl::UnavailableError("cannot open /proc/self/smaps");
  std::string line;
  bool in_entry = false;
  while (std::getline(smaps, line)) {
    uintptr_t from = 0;
    char dash = 0;
    std::istringstream fields(line);
    if (line.find('-') != std::string::npos &&
        (fields >> std::hex >> from >> dash) && dash == '-') {
      in_entry = from == start;
      continue;
    }
    uint64_t kib = 0;
    if (in_entry &&
        std::sscanf(line.c_str(), "Rss: %" SCNu64 " kB", &kib) == 1) {
      return kib;
    }
  }
  return absl::NotFoundError(
      absl::StrFormat("/proc/self/smaps: no Rss line for %#x", start));
}

}  // namespace

absl::StatusOr<ZeroPageOnRead> ProbeZeroPageOnRead() {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  // The probed page sits between two PROT_NONE pages so that its mapping is
  // one VMA of one page: a lone read-write page could merge with a
  // neighbouring anonymous mapping (a sanitizer's allocator has many), and
  // smaps would then count that mapping's pages too.
  void* area =
      mmap(nullptr, 3 * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (area == MAP_FAILED) return absl::ErrnoToStatus(errno, "mmap 3 pages");
  uint8_t* p = static_cast<uint8_t*>(area) + page;
  if (mprotect(p, page, PROT_READ | PROT_WRITE) != 0) {
    const int error = errno;
    munmap(area, 3 * page);
    return absl::ErrnoToStatus(error, "mprotect the middle page read-write");
  }
  const uint8_t value = *static_cast<const volatile uint8_t*>(p);
  absl::StatusOr<uint64_t> rss = SmapsRssKib(reinterpret_cast<uintptr_t>(p));
  munmap(area, 3 * page);
  if (!rss.ok()) return rss.status();
  if (value != 0)
    return absl::InternalError("a fresh anonymous page read non-zero");
  return *rss == 0 ? ZeroPageOnRead::kSharedZeroPage
                   : ZeroPageOnRead::kPrivatePage;
}

const char* ZeroPageOnReadName(ZeroPageOnRead kind) {
  return kind == ZeroPageOnRead::kSharedZeroPage ? "shared zero page"
                                                 : "private page";
}

std::string TransparentHugePagesMode() {
  std::ifstream knob("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string text;
  if (!knob || !std::getline(knob, text)) return "absent";
  // "always [madvise] never": the bracketed word is in force.
  const size_t open = text.find('['), close = text.find(']');
  if (open == std::string::npos || close <= open) return "absent";
  return text.substr(open + 1, close - open - 1);
}

bool HasMadvisePopulateWrite() {
#ifdef MADV_POPULATE_WRITE
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  void* p = mmap(nullptr, page, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return false;
  const bool has = madvise(p, page, MADV_POPULATE_WRITE) == 0;
  munmap(p, page);
  return has;
#else
  return false;
#endif
}

absl::StatusOr<FileStorage> ProbeFileStorage(const std::string& dir) {
  const std::string path = dir + "/granule-file-storage-probe";
  const int fd =
      open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return absl::ErrnoToStatus(errno, "open " + path);
  auto allocated_after_writing_at = [&](off_t offset) -> int64_t {
    struct stat st = {};
    if (pwrite(fd, "x", 1, offset) != 1 || fsync(fd) != 0 ||
        fstat(fd, &st) != 0) {
      return -1;
    }
    return static_cast<int64_t>(st.st_blocks) * 512;
  };
  const int64_t one_byte = allocated_after_writing_at(0);
  const int64_t with_hole = allocated_after_writing_at(off_t{1} << 20);
  const int error = errno;
  close(fd);
  unlink(path.c_str());
  if (one_byte < 0 || with_hole < 0) {
    return absl::ErrnoToStatus(error, "write and stat " + path);
  }
  return FileStorage{with_hole < (int64_t{1} << 20),
                     static_cast<uint64_t>(one_byte)};
}

bool RunningAsRoot() { return geteuid() == 0; }

}  // namespace granule::testing
