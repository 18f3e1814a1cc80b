// SPDX-License-Identifier: Apache-2.0
// WriteFileAtomically for POSIX: mkostemp next to the target, pwrite the
// extents, ftruncate for the holes, fsync, rename, fsync the directory.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "platform/atomic_file/atomic_file.h"
#include "platform/atomic_file/atomic_file_os.h"
#include "platform/status_macros.h"

namespace granule {
namespace {

absl::Status CallFailed(int error, const std::string& call) {
  return absl::ErrnoToStatus(error, absl::StrFormat("posix: %s failed", call));
}

// "/a/b" -> "/a", "b" -> ".", "/b" -> "/".
std::string DirectoryOf(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// The temporary file until it is renamed: closed and unlinked on every early
// return, so a failure leaves nothing behind.
class TemporaryFile {
 public:
  TemporaryFile() = default;
  TemporaryFile(const TemporaryFile&) = delete;
  TemporaryFile& operator=(const TemporaryFile&) = delete;
  ~TemporaryFile() {
    if (fd_ >= 0) close(fd_);
    if (!name_.empty()) unlink(name_.c_str());
  }

  absl::Status Create(const std::string& path) {
    std::string pattern = path + ".tmp.XXXXXX";
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    // Close-on-exec: a runtime that forks and execs must not leak it.
    fd_ = mkostemp(buffer.data(), O_CLOEXEC);
    if (fd_ < 0)
      return CallFailed(errno, absl::StrFormat("mkostemp(%s)", pattern));
    name_ = buffer.data();
    return absl::OkStatus();
  }

  int fd() const { return fd_; }
  const std::string& name() const { return name_; }

  // Closes the descriptor, reporting what close() says: on NFS a write error
  // can first show up here.
  absl::Status Close() {
    const int fd = fd_;
    fd_ = -1;
    if (close(fd) != 0 && errno != EINTR) {
      return CallFailed(errno, absl::StrFormat("close(%s)", name_));
    }
    return absl::OkStatus();
  }

  // After a successful rename the name belongs to the target.
  void Release() { name_.clear(); }

 private:
  int fd_ = -1;
  std::string name_;
};

absl::Status WriteAll(int fd, const std::string& name, uint64_t offset,
                      absl::Span<const uint8_t> bytes) {
  // Linux writes at most about 2 GiB per call; the loop covers that too.
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = pwrite(fd, bytes.data() + done, bytes.size() - done,
                             static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      // pwrite returning 0 for a non-empty buffer would loop forever.
      return CallFailed(
          n < 0 ? errno : EIO,
          absl::StrFormat("pwrite(%s, %u bytes at offset %u)", name,
                          bytes.size() - done, offset + done));
    }
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

template <typename Call>
int RetryOnEintr(Call call) {
  int result;
  do {
    result = call();
  } while (result < 0 && errno == EINTR);
  return result;
}

absl::Status SyncDirectory(const std::string& directory) {
  const int fd = RetryOnEintr([&] {
    return open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  });
  if (fd < 0) {
    return CallFailed(errno, absl::StrFormat("open(%s)", directory));
  }
  const int result = RetryOnEintr([&] { return fsync(fd); });
  const int error = errno;
  close(fd);
  if (result != 0) {
    return CallFailed(error, absl::StrFormat("fsync(%s)", directory));
  }
  return absl::OkStatus();
}

}  // namespace

namespace internal {

// pwrite and ftruncate take an off_t.
const FileSizeLimit kHostFileSizeLimit = {
    static_cast<uint64_t>(std::numeric_limits<off_t>::max()),
    "the largest off_t"};

absl::Status WriteCheckedFileAtomically(const std::string& path, uint64_t size,
                                        absl::Span<const FileExtent> extents,
                                        uint32_t posix_mode) {
  TemporaryFile temp;
  GRANULE_RETURN_IF_ERROR(temp.Create(path));
  const std::string& name = temp.name();
  // mkostemp makes the file 0600; an image is meant to be read by others
  // (0644 unless the caller asks otherwise).
  if (fchmod(temp.fd(), static_cast<mode_t>(posix_mode)) != 0) {
    return CallFailed(errno,
                      absl::StrFormat("fchmod(%s, 0%o)", name, posix_mode));
  }
  for (const FileExtent& extent : extents) {
    GRANULE_RETURN_IF_ERROR(
        WriteAll(temp.fd(), name, extent.offset, extent.bytes));
  }
  // Extending with ftruncate leaves the gaps and the tail as holes.
  if (RetryOnEintr([&] {
        return ftruncate(temp.fd(), static_cast<off_t>(size));
      }) != 0) {
    return CallFailed(errno, absl::StrFormat("ftruncate(%s, %u)", name, size));
  }
  if (RetryOnEintr([&] { return fsync(temp.fd()); }) != 0) {
    return CallFailed(errno, absl::StrFormat("fsync(%s)", name));
  }
  GRANULE_RETURN_IF_ERROR(temp.Close());
  if (rename(name.c_str(), path.c_str()) != 0) {
    return CallFailed(errno, absl::StrFormat("rename(%s, %s)", name, path));
  }
  temp.Release();
  // Makes the rename itself durable. The new file is in place either way.
  return SyncDirectory(DirectoryOf(path));
}

}  // namespace internal
}  // namespace granule
