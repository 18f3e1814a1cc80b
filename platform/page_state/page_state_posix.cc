// SPDX-License-Identifier: Apache-2.0
// Page states from Linux's /proc/self/maps and /proc/self/pagemap (see
// Documentation/admin-guide/mm/pagemap.rst). Other POSIX systems have no
// pagemap; that is detected at run time, when opening it fails with ENOENT.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "platform/page_state/page_state.h"
#include "platform/page_state/page_state_os.h"
#include "platform/status_macros.h"

namespace granule {
namespace {

constexpr char kMapsPath[] = "/proc/self/maps";
constexpr char kPagemapPath[] = "/proc/self/pagemap";

// pagemap entry bits.
constexpr uint64_t kPresentBit = uint64_t{1} << 63;
constexpr uint64_t kSwappedBit = uint64_t{1} << 62;
constexpr uint64_t kFilePageBit = uint64_t{1} << 61;
constexpr uint64_t kExclusiveBit = uint64_t{1} << 56;

// Closes on every return path.
class ProcFile {
 public:
  static absl::StatusOr<ProcFile> Open(const char* path) {
    const int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) return ProcFile(path, fd);
    const int error = errno;
    if (error == ENOENT) {
      return absl::UnimplementedError(absl::StrFormat(
          "%s does not exist: this system does not report page states "
          "(granule reads them on Linux only)",
          path));
    }
    return absl::ErrnoToStatus(error, absl::StrFormat("open %s", path));
  }
  ProcFile(ProcFile&& other) noexcept : path_(other.path_), fd_(other.fd_) {
    other.fd_ = -1;
  }
  ProcFile& operator=(ProcFile&&) = delete;
  ~ProcFile() {
    if (fd_ >= 0) close(fd_);
  }

  // /proc files have no size; read until end of file.
  absl::StatusOr<std::string> ReadAll() const {
    std::string text;
    char buffer[16384];
    for (;;) {
      const ssize_t n = read(fd_, buffer, sizeof buffer);
      if (n == 0) return text;
      if (n < 0) {
        if (errno == EINTR) continue;
        return absl::ErrnoToStatus(errno, absl::StrFormat("read %s", path_));
      }
      text.append(buffer, static_cast<size_t>(n));
    }
  }

  absl::Status ReadAt(uint64_t offset, void* out, size_t size) const {
    auto* bytes = static_cast<char*>(out);
    size_t done = 0;
    while (done < size) {
      const ssize_t n = pread(fd_, bytes + done, size - done,
                              static_cast<off_t>(offset + done));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        return absl::ErrnoToStatus(
            errno, absl::StrFormat("pread %s: %u bytes at offset %#x", path_,
                                   size - done, offset + done));
      }
      if (n == 0) {
        return absl::OutOfRangeError(
            absl::StrFormat("pread %s: end of file at offset %#x, %u bytes "
                            "short",
                            path_, offset + done, size - done));
      }
      done += static_cast<size_t>(n);
    }
    return absl::OkStatus();
  }

 private:
  ProcFile(const char* path, int fd) : path_(path), fd_(fd) {}
  const char* path_;
  int fd_;
};

// Fills mapped and protection for states[i], the page at first + i * page,
// from the maps. The last page may end at the top of the address space, so
// ranges are compared by their last pages, never by an end that could wrap.
absl::Status ApplyMappings(absl::string_view maps_text, uintptr_t first,
                           size_t page, std::vector<PageState>& states) {
  const uintptr_t last = first + (states.size() - 1) * page;
  for (absl::string_view line : absl::StrSplit(maps_text, '\n')) {
    if (line.empty()) continue;
    GRANULE_ASSIGN_OR_RETURN(internal::ProcMapsEntry entry,
                             internal::ParseProcMapsLine(line));
    if (entry.start == entry.end || entry.end - 1 < first ||
        entry.start > last) {
      continue;
    }
    absl::StatusOr<Protection> protection =
        internal::ProtectionFromPermissions(entry.permissions);
    if (!protection.ok()) {
      return absl::FailedPreconditionError(
          absl::StrFormat("%s: mapping %#x-%#x: %s", kMapsPath, entry.start,
                          entry.end, protection.status().message()));
    }
    // Mappings are page-aligned, so these are whole pages of the range.
    const size_t from = (std::max(entry.start, first) - first) / page;
    const size_t to = (std::min(entry.end - 1, last) - first) / page;
    for (size_t i = from; i <= to; ++i) {
      states[i].mapped = true;
      states[i].protection = *protection;
    }
  }
  return absl::OkStatus();
}

// Fills the pagemap flags, a bounded batch of entries per pread.
absl::Status ApplyPagemap(const ProcFile& pagemap, uintptr_t first, size_t page,
                          std::vector<PageState>& states) {
  constexpr size_t kBatch = 512;
  uint64_t entries[kBatch];
  for (size_t done = 0; done < states.size(); done += kBatch) {
    const size_t count = std::min(kBatch, states.size() - done);
    const uint64_t offset =
        (static_cast<uint64_t>(first / page) + done) * sizeof(uint64_t);
    GRANULE_RETURN_IF_ERROR(
        pagemap.ReadAt(offset, entries, count * sizeof(uint64_t)));
    for (size_t i = 0; i < count; ++i) {
      PageState& state = states[done + i];
      state.resident = (entries[i] & kPresentBit) != 0;
      state.swapped = (entries[i] & kSwappedBit) != 0;
      state.file_page = (entries[i] & kFilePageBit) != 0;
      state.exclusive = (entries[i] & kExclusiveBit) != 0;
    }
  }
  return absl::OkStatus();
}

}  // namespace

namespace internal {

absl::StatusOr<ProcMapsEntry> ParseProcMapsLine(absl::string_view line) {
  auto malformed = [line](const char* field) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: malformed %s in line '%s'", kMapsPath, field, line));
  };
  const size_t space = line.find(' ');
  if (space == absl::string_view::npos) return malformed("address range");
  const absl::string_view range = line.substr(0, space);
  const size_t dash = range.find('-');
  ProcMapsEntry entry;
  if (dash == absl::string_view::npos ||
      !absl::SimpleHexAtoi(range.substr(0, dash), &entry.start) ||
      !absl::SimpleHexAtoi(range.substr(dash + 1), &entry.end) ||
      entry.start > entry.end) {
    return malformed("address range");
  }
  const absl::string_view permissions = line.substr(space + 1, 4);
  if (permissions.size() != 4 ||
      (line.size() > space + 5 && line[space + 5] != ' ')) {
    return malformed("permissions");
  }
  auto one_of = [](char c, char a, char b) { return c == a || c == b; };
  if (!one_of(permissions[0], 'r', '-') || !one_of(permissions[1], 'w', '-') ||
      !one_of(permissions[2], 'x', '-') || !one_of(permissions[3], 'p', 's')) {
    return malformed("permissions");
  }
  entry.permissions = std::string(permissions);
  return entry;
}

absl::StatusOr<Protection> ProtectionFromPermissions(
    absl::string_view permissions) {
  const absl::string_view rwx = permissions.substr(0, 3);
  if (rwx == "---") return Protection::kNone;
  if (rwx == "r--") return Protection::kRead;
  if (rwx == "rw-") return Protection::kReadWrite;
  if (rwx == "r-x") return Protection::kReadExecute;
  const char* why = rwx == "rwx" || rwx == "-wx"
                        ? "writable and executable"
                        : "not expressible as a granule Protection";
  return absl::FailedPreconditionError(
      absl::StrFormat("permissions '%s' are %s", permissions, why));
}

}  // namespace internal

absl::Status internal::FillPageStates(uintptr_t first, size_t page,
                                      std::vector<PageState>& states) {
  // Open pagemap first: its absence is the clearest sign of a non-Linux OS.
  GRANULE_ASSIGN_OR_RETURN(ProcFile pagemap, ProcFile::Open(kPagemapPath));
  GRANULE_ASSIGN_OR_RETURN(ProcFile maps, ProcFile::Open(kMapsPath));
  GRANULE_ASSIGN_OR_RETURN(std::string maps_text, maps.ReadAll());

  GRANULE_RETURN_IF_ERROR(ApplyMappings(maps_text, first, page, states));
  return ApplyPagemap(pagemap, first, page, states);
}

}  // namespace granule
