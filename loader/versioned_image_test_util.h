// SPDX-License-Identifier: Apache-2.0
// Images that differ in every loaded byte by a version number, for tests that
// replace, truncate or overwrite an image file and must tell which version
// they see: .rodata is a pattern of the version, .data holds words relocated
// to version-dependent places in .rodata, and DT_GUILE_ENTRY points to one.
#ifndef GRANULE_LOADER_VERSIONED_IMAGE_TEST_UTIL_H_
#define GRANULE_LOADER_VERSIONED_IMAGE_TEST_UTIL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "loader/writer/image_writer.h"
#include "loader/loaded_image.h"

namespace granule::testing {

inline constexpr int kVersionedRelocations = 4;

// The variant whose words this machine reads as pointers.
ElfVariant HostVariant();

// An image of about `rodata_size` bytes whose contents depend on `version`.
ImageSpec VersionedImageSpec(uint8_t version, size_t rodata_size);

// Image address of .rodata byte that relocation `i` of `version` targets,
// relative to .rodata.
uint64_t VersionedTargetOffset(uint8_t version, int i);

// Empty when `image` holds exactly what VersionedImageSpec(version, ...)
// describes, loaded and relocated: the .rodata bytes, every relocated word,
// and the dynamic table's entry; else what differs, for a failure message.
std::string DiffFromVersion(const LoadedImage& image, uint8_t version,
                            size_t rodata_size);

}  // namespace granule::testing

#endif  // GRANULE_LOADER_VERSIONED_IMAGE_TEST_UTIL_H_
