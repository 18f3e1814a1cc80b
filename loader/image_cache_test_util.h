// SPDX-License-Identifier: Apache-2.0
// What the image cache tests share: an image the shared path refuses as a
// whole (PackedImage), fresh cache directories, and loads through the cache
// on a chosen machine.
#ifndef GRANULE_LOADER_IMAGE_CACHE_TEST_UTIL_H_
#define GRANULE_LOADER_IMAGE_CACHE_TEST_UTIL_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "loader/image_cache.h"
#include "loader/loaded_image.h"
#include "platform/memory/simulated_backend.h"
#include "testing/raw_elf.h"

namespace granule::cache_testing {

using Choice = LoadOptions::PathChoice;

inline constexpr uint64_t kBase = 0x10000000;

// RelocatedImage (R [0, 0x1000), RW at 0x10000) with the RW segment's file
// bytes moved to offset 0x1000 and every p_align set to `align`: offsets
// congruent to addresses only modulo `align`.
granule::testing::RawElf PackedImage(uint64_t align,
                                     uint64_t rw_offset = 0x1000);

std::string WriteRaw(const granule::testing::RawElf& elf);
std::string FreshDirectory();
// The names in `dir`, without the dot files.
std::vector<std::string> Entries(const std::string& dir);
std::unique_ptr<SimulatedBackend> SimulatedMachineNamed(const char* name);

// Loads `path` relocated for kBase, with `cache` as the cache directory
// (empty: none) and `machine` as the shared backend (null: this machine's).
absl::StatusOr<std::unique_ptr<LoadedImage>> Load(const std::string& path,
                                                  MemoryBackend* machine,
                                                  const std::string& cache,
                                                  Choice choice = Choice::kAuto);

// Every loaded byte of each segment, except the program headers (whose
// p_offset and p_align the cache rewrites).
std::vector<uint8_t> LoadedBytes(const LoadedImage& image);
// LoadedBytes of a heap copy of `path`.
std::vector<uint8_t> HeapBytes(const std::string& path);

// Loads `path` on a simulated 64 KiB machine through `dir` and returns the
// reason, after checking the bytes against a heap copy.
std::string LoadReason(const std::string& path, const std::string& dir,
                       ImageCacheOptions::Verify verify =
                           ImageCacheOptions::Verify::kIdentity);

// Writes `bytes` over `path` at `offset`.
void Overwrite(const std::string& path, uint64_t offset,
               const std::vector<uint8_t>& bytes);

}  // namespace granule::cache_testing

#endif  // GRANULE_LOADER_IMAGE_CACHE_TEST_UTIL_H_
