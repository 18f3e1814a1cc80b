// SPDX-License-Identifier: Apache-2.0
// The cache directory checks for POSIX: stat, the owner's uid and the mode
// bits of the directory and of every directory above it.
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "platform/cache_directory/cache_directory.h"
#include "platform/status_macros.h"

namespace granule {
namespace {

absl::Status Refuse(const std::string& path, const std::string& why) {
  return absl::FailedPreconditionError(
      absl::StrFormat("cache directory %s refused: %s", path, why));
}

absl::Status CallFailed(const std::string& call) {
  return absl::ErrnoToStatus(errno, absl::StrFormat("%s failed", call));
}

// Group or others may write, and the sticky bit does not stop them from
// removing or renaming what this user put there.
bool OthersMayReplace(const struct stat& st) {
  return (st.st_mode & (S_IWGRP | S_IWOTH)) != 0 &&
         (st.st_mode & S_ISVTX) == 0;
}

absl::Status MakeDirectories(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) == 0) return absl::OkStatus();
  const size_t slash = path.find_last_of('/');
  if (slash != std::string::npos && slash > 0) {
    GRANULE_RETURN_IF_ERROR(MakeDirectories(path.substr(0, slash)));
  }
  // Another process may create it at the same moment; that is as good.
  if (mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
    return CallFailed(absl::StrFormat("mkdir('%s', 0755)", path));
  }
  return absl::OkStatus();
}

absl::Status CheckDirectory(const std::string& path, const struct stat& st) {
  if (!S_ISDIR(st.st_mode)) return Refuse(path, "not a directory");
  if (st.st_uid != geteuid()) {
    return Refuse(path, absl::StrFormat("owned by uid %d, not by this user "
                                        "(uid %d)",
                                        st.st_uid, geteuid()));
  }
  if (OthersMayReplace(st)) {
    return Refuse(path, absl::StrFormat("mode 0%o lets group or others write "
                                        "it without the sticky bit",
                                        st.st_mode & 07777));
  }
  return absl::OkStatus();
}

// Whoever can rename a parent can put another directory in the cache's
// place, so the parents must be this user's or root's, and not open to
// others without the sticky bit (/tmp is fine).
absl::Status CheckParents(const std::string& cache, const std::string& real) {
  std::string parent = real;
  while (parent.size() > 1) {
    const size_t slash = parent.find_last_of('/');
    parent = slash == 0 ? "/" : parent.substr(0, slash);
    struct stat st;
    if (stat(parent.c_str(), &st) != 0) {
      return CallFailed(absl::StrFormat("stat('%s')", parent));
    }
    if (st.st_uid != geteuid() && st.st_uid != 0) {
      return Refuse(cache, absl::StrFormat(
                               "its parent %s is owned by uid %d, neither "
                               "this user nor root",
                               parent, st.st_uid));
    }
    if (OthersMayReplace(st)) {
      return Refuse(cache, absl::StrFormat(
                               "its parent %s has mode 0%o: group or others "
                               "may rename what is in it",
                               parent, st.st_mode & 07777));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<FileIdentity> IdentifyFile(const File& file) {
  if (file.memory() != nullptr) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "%s: a file in memory has no identity to cache it by", file.path()));
  }
  struct stat st;
  if (fstat(static_cast<int>(file.native_handle()), &st) != 0) {
    return CallFailed(absl::StrFormat("fstat('%s')", file.path()));
  }
  return FileIdentity{static_cast<uint64_t>(st.st_dev),
                      static_cast<uint64_t>(st.st_ino),
                      static_cast<uint64_t>(st.st_size),
                      int64_t{st.st_mtim.tv_sec} * 1000000000 +
                          st.st_mtim.tv_nsec};
}

absl::Status PrepareCacheDirectory(const std::string& path) {
  if (path.empty()) return Refuse("''", "the path is empty");
  GRANULE_RETURN_IF_ERROR(MakeDirectories(path));
  char real[PATH_MAX];
  if (realpath(path.c_str(), real) == nullptr) {
    return CallFailed(absl::StrFormat("realpath('%s')", path));
  }
  struct stat st;
  if (stat(real, &st) != 0) {
    return CallFailed(absl::StrFormat("stat('%s')", real));
  }
  GRANULE_RETURN_IF_ERROR(CheckDirectory(path, st));
  return CheckParents(path, real);
}

absl::Status CheckCacheEntryOwner(const File& file) {
  struct stat st;
  if (fstat(static_cast<int>(file.native_handle()), &st) != 0) {
    return CallFailed(absl::StrFormat("fstat('%s')", file.path()));
  }
  if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
      (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "cache entry %s refused: uid %d, mode 0%o (must be a regular file of "
        "uid %d that only its owner may write)",
        file.path(), st.st_uid, st.st_mode & 07777, geteuid()));
  }
  return absl::OkStatus();
}

}  // namespace granule
