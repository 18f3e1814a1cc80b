// SPDX-License-Identifier: Apache-2.0
// A file opened for reading, as the memory backends need it: a size, a way to
// read at an offset (the malloc path), and the native handle that file views
// are made from (an fd on POSIX, a HANDLE on Windows).
#ifndef GRANULE_PLATFORM_FILE_H_
#define GRANULE_PLATFORM_FILE_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace granule {

class File {
 public:
  // Opens a regular file read-only. Errors name the path and the OS error.
  static absl::StatusOr<File> OpenForReading(const std::string& path);
  // A File over the caller's open descriptor `fd` (a C runtime fd on
  // Windows), called `name` in errors, which the caller keeps open while
  // the File lives. The descriptor and its file position stay the caller's:
  // on POSIX the File reads the descriptor itself with pread, which moves no
  // position, and never closes it; on Windows, where a read at an offset
  // moves the position, it reads a handle of its own, closed with it.
  // Errors name `name`, the fd and the OS error.
  static absl::StatusOr<File> ForDescriptor(int fd, const std::string& name);

  File(File&& other) noexcept;
  File& operator=(File&& other) noexcept;
  File(const File&) = delete;
  File& operator=(const File&) = delete;
  ~File();

  // A File whose bytes are the caller's `size` bytes at `data`, which must
  // outlive it: reads copy from there. It has no native handle, so only
  // backends that read (malloc, in place) can map it; the shared path must
  // copy it (LoadOptions::copy_file_bytes).
  static File OverMemory(const std::string& name, const uint8_t* data,
                         uint64_t size);
  // The bytes of a File made by OverMemory (at window_start()); else null.
  const uint8_t* memory() const { return memory_; }

  // Makes this File the `length` bytes at `offset` of what it was: an image
  // appended to an executable or stored in an archive. Offsets given to
  // ReadAt and to the backends are then relative to the window; the OS file
  // offset is window_start() + offset. OutOfRange, naming the file, when the
  // window is empty or runs past the end.
  absl::Status RestrictToWindow(uint64_t offset, uint64_t length);

  const std::string& path() const { return path_; }
  // Size when opened (of the window, when restricted to one). A file that
  // shrinks later is the caller's hazard (see docs/design.md on SIGBUS).
  uint64_t size() const { return size_; }
  // Where offset 0 of this File is in the OS file: 0 unless restricted to a
  // window. Backends that map the native handle add it.
  uint64_t window_start() const { return window_start_; }

  // Reads exactly out.size() bytes at `offset`; a short read is OutOfRange.
  absl::Status ReadAt(uint64_t offset, absl::Span<uint8_t> out) const;

  // ReadAt, but only from the page cache, never waiting for the disk: true
  // when all of `out` was read so, false when some of it is not cached (or
  // the system cannot tell: `out` then holds nothing useful and the caller
  // reads it with ReadAt). Loaders use it to tell a warm file from a cold one
  // without a call of its own.
  absl::StatusOr<bool> ReadAtIfCached(uint64_t offset,
                                      absl::Span<uint8_t> out) const;

  // The OS handle, for backends only: an fd on POSIX, a HANDLE on Windows.
  intptr_t native_handle() const { return handle_; }

 private:
  File(std::string path, intptr_t handle, uint64_t size)
      : path_(std::move(path)), handle_(handle), size_(size) {}
  void Close();

  std::string path_;
  intptr_t handle_;
  bool owns_handle_ = true;
  uint64_t size_;
  uint64_t window_start_ = 0;
  const uint8_t* memory_ = nullptr;
};

}  // namespace granule

#endif  // GRANULE_PLATFORM_FILE_H_
