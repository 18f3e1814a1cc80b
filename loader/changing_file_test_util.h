// SPDX-License-Identifier: Apache-2.0
// Shared by the tests of files that change under a loaded image
// (changing_file_test.cc and its POSIX and Windows halves).
#ifndef GRANULE_LOADER_CHANGING_FILE_TEST_UTIL_H_
#define GRANULE_LOADER_CHANGING_FILE_TEST_UTIL_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "loader/loaded_image.h"

namespace granule::testing {

// .rodata spans many pages, so a truncation can cut the image mid-segment.
inline constexpr size_t kChangingRodataSize = size_t{192} << 10;

// A fresh path holding VersionedImageSpec(version, kChangingRodataSize).
std::string WriteVersionedImage(uint8_t version);

// Loads `path` on this machine's shared path (required), mapped or copied.
absl::StatusOr<std::unique_ptr<LoadedImage>> LoadShared(const std::string& path,
                                                        bool copy_file_bytes);

// Empty when `image` holds `version` (see DiffFromVersion).
std::string DiffFrom(const LoadedImage& image, uint8_t version);

// The first address of each host page of `image`'s segments whose read
// faults, or 0 when none does.
uintptr_t FirstFaultingPage(const LoadedImage& image);

// The .rodata bytes of `version` written into `path` where they are, in
// place: the file keeps its inode, as with an editor or a careless copy.
void OverwriteRodataInPlace(const std::string& path, const LoadedImage& image,
                            uint8_t version);

}  // namespace granule::testing

#endif  // GRANULE_LOADER_CHANGING_FILE_TEST_UTIL_H_
