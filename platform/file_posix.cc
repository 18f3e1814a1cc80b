#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "platform/file.h"

namespace granule {
namespace {
constexpr intptr_t kClosed = -1;
}  // namespace

absl::StatusOr<File> File::OpenForReading(const std::string& path) {
  int fd;
  do {
    fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    return absl::ErrnoToStatus(errno,
                               absl::StrFormat("open('%s') failed", path));
  }
  File file(path, fd, 0);  // Owns the fd from here on, on every path.
  struct stat st;
  if (fstat(fd, &st) != 0) {
    return absl::ErrnoToStatus(errno,
                               absl::StrFormat("fstat('%s') failed", path));
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("'%s' is not a regular file", path));
  }
  file.size_ = static_cast<uint64_t>(st.st_size);
  return file;
}

File::File(File&& other) noexcept
    : path_(std::move(other.path_)),
      handle_(std::exchange(other.handle_, kClosed)),
      size_(other.size_) {}

File& File::operator=(File&& other) noexcept {
  if (this != &other) {
    Close();
    path_ = std::move(other.path_);
    handle_ = std::exchange(other.handle_, kClosed);
    size_ = other.size_;
  }
  return *this;
}

File::~File() { Close(); }

void File::Close() {
  // close() is not retried on EINTR: on Linux the fd is released regardless.
  if (handle_ != kClosed) close(static_cast<int>(handle_));
  handle_ = kClosed;
}

absl::Status File::ReadAt(uint64_t offset, absl::Span<uint8_t> out) const {
  if (offset > size_ || out.size() > size_ - offset) {
    return absl::OutOfRangeError(absl::StrFormat(
        "read of %u bytes at offset %u of '%s' runs past its end (%u bytes)",
        out.size(), offset, path_, size_));
  }
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = pread(static_cast<int>(handle_), out.data() + done,
                      out.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      return absl::ErrnoToStatus(
          errno, absl::StrFormat("pread('%s', %u bytes at offset %u) failed",
                                 path_, out.size() - done, offset + done));
    }
    if (n == 0) {
      return absl::OutOfRangeError(absl::StrFormat(
          "'%s' ended at offset %u while reading %u bytes at offset %u: it "
          "shrank after it was opened",
          path_, offset + done, out.size(), offset));
    }
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

}  // namespace granule
