// SPDX-License-Identifier: Apache-2.0
// A cache of images re-laid out for this machine: when the shared path
// cannot map an image whole because its segments' file offsets are not
// congruent to their addresses modulo the page size and allocation
// granularity (or p_align is smaller than those), a copy whose offsets are
// is written once into a cache directory, and every process maps that copy
// whole, shared. The
// addresses stay the same, so no relocation changes. What it cannot fix: two
// segments of different protections that share a page at their addresses.
//
// Threat model: the cache directory is trusted only when no other user can
// write or replace it or its parents (platform/cache_directory.h), and each
// entry only when this user owns it and no one else may write it. An entry
// is found by a key made of the source's identity (device, inode, size,
// mtime_ns, and the window inside it) and the target geometry, and checked
// before use: its trailer must repeat that key, and its segments must be the
// source's. The source's content hash, taken when the entry was built, is
// stored in the entry; rehashing the source on every load would cost the
// read the cache exists to avoid, so it is compared only with
// Verify::kContent. Without it, a source rewritten in place that keeps its
// inode, size and mtime_ns (which takes setting the time back on purpose)
// is not noticed. Any mismatch rebuilds the entry; none is trusted. The hash
// guards against accidents, not against someone who can write the cache:
// such a person is refused by the checks above instead.
#ifndef GRANULE_LOADER_IMAGE_CACHE_H_
#define GRANULE_LOADER_IMAGE_CACHE_H_

#include <array>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "loader/elf/elf_image.h"
#include "loader/writer/image_writer.h"
#include "platform/file.h"
#include "platform/page_geometry.h"

namespace granule {

struct ImageCacheOptions {
  // Empty: no cache (the default). Created 0755 when missing. Suggested
  // places: $XDG_CACHE_HOME/granule (else ~/.cache/granule) on Linux,
  // %LOCALAPPDATA%\granule on Windows (where it is refused today: see
  // platform/cache_directory.h).
  std::string directory;
  // The entries' mode on POSIX.
  uint32_t file_mode = 0644;
  enum class Verify {
    kIdentity,  // The source's identity and the entry's own checks.
    kContent,   // Also rehash the source and compare: reads it every load.
  };
  Verify verify = Verify::kIdentity;
};

enum class CacheOutcome {
  kReused,   // A valid entry was there.
  kBuilt,    // There was none.
  kRebuilt,  // There was one, refused (the reason is in CachedImage).
};
const char* CacheOutcomeName(CacheOutcome outcome);  // "reused", ...

struct CachedImage {
  File file;  // The entry, restricted to the image (without the trailer).
  ElfImage elf;
  CacheOutcome outcome;
  std::string entry_path;
  std::string refused;  // With kRebuilt: why the old entry was not used.
};

// The entry for `source` (read as `elf`) on `geometry`: opened and checked,
// or built. FailedPrecondition when the cache cannot help (its directory is
// refused, or the image re-laid out still cannot take the shared path, with
// the reason); other errors when the entry cannot be written (a full disk,
// a read-only directory). The caller then loads the source as it would have.
absl::StatusOr<CachedImage> OpenCachedImage(const File& source,
                                            const ElfImage& elf,
                                            const PageGeometry& geometry,
                                            const ImageCacheOptions& options);

// The file `bytes` (read as `elf`) with each PT_LOAD moved so that its file
// offset is congruent to its address modulo `unit` (and its own p_align),
// p_align raised to at least `unit`, and the headers' offsets moved to
// match. Everything else, sections outside the segments included, keeps its
// bytes and order. Where the program headers are inside a segment, their
// p_offset and p_align are the only loaded bytes that change.
// FailedPrecondition when the segment at offset 0 (holding the ELF header)
// would have to move.
absl::StatusOr<ImageBytes> RelayOutImage(const ElfImage& elf,
                                         absl::Span<const uint8_t> bytes,
                                         uint64_t unit);

// A stable 128-bit hash of `bytes` (not cryptographic; see above).
std::array<uint64_t, 2> ContentHash(absl::Span<const uint8_t> bytes);

}  // namespace granule

#endif  // GRANULE_LOADER_IMAGE_CACHE_H_
