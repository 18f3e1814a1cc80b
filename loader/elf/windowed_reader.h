// SPDX-License-Identifier: Apache-2.0
// Internal to the ELF reader, exposed for its tests: serves the reader's many
// small reads (e_ident, the ELF header, the program headers, the dynamic
// table, the section headers, their names) from a few larger ones, because on
// the shared path a system call per table costs as much as the mapping.
#ifndef GRANULE_LOADER_ELF_WINDOWED_READER_H_
#define GRANULE_LOADER_ELF_WINDOWED_READER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "loader/elf/elf_image.h"

namespace granule {
namespace internal {

// Reads exactly out.size() bytes at `offset` (File::ReadAt's contract).
using ReadAtFunction =
    std::function<absl::Status(uint64_t offset, absl::Span<uint8_t> out)>;

class WindowedReader {
 public:
  // A window this small is kept in the reader itself: the head read of a
  // typical image and its dynamic table allocate nothing.
  static constexpr uint64_t kInlineBytes = 4096;

  WindowedReader(uint64_t file_size, ReadAtFunction read)
      : file_size_(file_size), read_(std::move(read)) {}
  WindowedReader(const WindowedReader&) = delete;
  WindowedReader& operator=(const WindowedReader&) = delete;

  // Copies [offset, offset + out.size()), which the caller has checked lies
  // inside the file, into `out`. Bytes outside the kept window are read in one
  // call together with up to `read_behind` bytes before them and `read_ahead`
  // bytes after them (never outside the file), which become the new window.
  absl::Status ReadAt(uint64_t offset, absl::Span<uint8_t> out,
                      uint64_t read_behind = 0, uint64_t read_ahead = 0);

  // The same bytes, read the same way, but not copied: the view is valid
  // until the reader's next call.
  absl::StatusOr<absl::Span<const uint8_t>> View(uint64_t offset,
                                                 uint64_t size,
                                                 uint64_t read_behind = 0,
                                                 uint64_t read_ahead = 0);

  int reads() const { return reads_; }

 private:
  uint8_t* window() { return window_on_heap_ ? heap_.get() : inline_; }

  uint64_t file_size_;
  ReadAtFunction read_;
  uint64_t window_offset_ = 0;
  uint64_t window_size_ = 0;
  bool window_on_heap_ = false;
  std::unique_ptr<uint8_t[]> heap_;
  uint64_t heap_capacity_ = 0;
  int reads_ = 0;
  // Not zeroed: only bytes a read filled are ever served.
  uint8_t inline_[kInlineBytes];
};

// ReadElfImage with the file's reads going through `read`: the seam that
// lets tests count them. `accept_fixed_address`: ReadElfLayout's ET_EXEC.
absl::StatusOr<ElfImage> ReadElfImageWith(
    std::string path, uint64_t file_size, ReadAtFunction read,
    bool accept_fixed_address = false,
    SectionTable sections = SectionTable::kRead);

}  // namespace internal
}  // namespace granule

#endif  // GRANULE_LOADER_ELF_WINDOWED_READER_H_
