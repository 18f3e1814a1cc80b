// SPDX-License-Identifier: Apache-2.0
// The sample image `granule demo` writes and loads, and the scratch directory
// it lives in.
#ifndef GRANULE_CLI_DEMO_IMAGE_H_
#define GRANULE_CLI_DEMO_IMAGE_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "loader/writer/image_writer.h"

namespace granule::cli {

inline constexpr char kDemoGreeting[] = "hello from .rodata";
inline constexpr uint8_t kDemoCode[] = {0x90, 0x90, 0xc3};  // nop; nop; ret
inline constexpr uint64_t kDemoDataBytes = 8 * 1024;        // Two 4 KiB pages.

// A Guile-shaped image (EM_NONE, EI_OSABI 255, the 1:1 layout, no zero-filled
// memory): constants (R), code (RX), data (RW) whose first two words are
// relative relocations pointing at the greeting and at the code; in the
// host's word size and byte order so the demo can follow the pointers, with
// segments aligned to `segment_alignment` (64 KiB, or 4 KiB for the old
// layout).
ImageSpec DemoImageSpec(uint64_t segment_alignment);

// A fresh directory under `parent`, removed with everything in it when the
// ScratchDirectory is destroyed: on success and on every error path.
class ScratchDirectory {
 public:
  static absl::StatusOr<ScratchDirectory> Create(const std::string& parent);
  ScratchDirectory(ScratchDirectory&& other) noexcept;
  ScratchDirectory& operator=(ScratchDirectory&&) = delete;
  ScratchDirectory(const ScratchDirectory&) = delete;
  ~ScratchDirectory();

  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const;

 private:
  explicit ScratchDirectory(std::string path) : path_(std::move(path)) {}
  std::string path_;  // Empty once moved from.
};

}  // namespace granule::cli

#endif  // GRANULE_CLI_DEMO_IMAGE_H_
