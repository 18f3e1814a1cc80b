// SPDX-License-Identifier: Apache-2.0
// What a cache of derived files needs from the OS: who may write a
// directory, who owns a file in it, and a file's identity (which file it is
// and which version of it), so a cached copy is never taken from a place
// another user could have written, nor used for a source that changed.
#ifndef GRANULE_PLATFORM_CACHE_DIRECTORY_CACHE_DIRECTORY_H_
#define GRANULE_PLATFORM_CACHE_DIRECTORY_CACHE_DIRECTORY_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "platform/file.h"

namespace granule {

// Which file, and which version of it: a replaced file has another inode,
// a rewritten one (usually) another size or modification time.
struct FileIdentity {
  uint64_t device = 0;
  uint64_t inode = 0;  // The file index on Windows.
  uint64_t size = 0;   // Of the whole OS file, not of a File's window.
  int64_t mtime_ns = 0;

  bool operator==(const FileIdentity& o) const {
    return device == o.device && inode == o.inode && size == o.size &&
           mtime_ns == o.mtime_ns;
  }
  bool operator!=(const FileIdentity& o) const { return !(*this == o); }
};

// The identity of the OS file behind `file` (one made by File::OverMemory
// has none: FailedPrecondition).
absl::StatusOr<FileIdentity> IdentifyFile(const File& file);

// Creates `path` (mode 0755, with any missing parents) when it does not
// exist, then checks that no other user can write it or replace it:
// FailedPrecondition, naming the directory and the reason, when it is not a
// directory, is owned by another user, or is writable by group or others
// without the sticky bit; or when one of its parents is owned by someone
// other than this user or root, or writable by group or others without the
// sticky bit. Windows: always FailedPrecondition (ownership is decided by
// ACLs, which this check does not read).
absl::Status PrepareCacheDirectory(const std::string& path);

// Checks a file opened from such a directory: a regular file owned by this
// user and writable by no one else. FailedPrecondition naming it otherwise.
absl::Status CheckCacheEntryOwner(const File& file);

}  // namespace granule

#endif  // GRANULE_PLATFORM_CACHE_DIRECTORY_CACHE_DIRECTORY_H_
