// SPDX-License-Identifier: Apache-2.0
#include "cli/file_walk.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"

namespace granule::cli {
namespace {

namespace fs = std::filesystem;

std::string Reason(const std::error_code& error) {
  return error.message();
}

void WalkDirectory(const fs::path& dir, FileWalk& walk) {
  ++walk.directories;
  std::error_code error;
  fs::directory_iterator it(dir, error);
  std::vector<fs::path> entries;
  for (; !error && it != fs::directory_iterator(); it.increment(error)) {
    entries.push_back(it->path());
  }
  if (error) {
    walk.errors.push_back(
        absl::StrCat(dir.string(), ": cannot list: ", Reason(error)));
    return;
  }
  std::sort(entries.begin(), entries.end());
  for (const fs::path& entry : entries) {
    const fs::file_status status = fs::symlink_status(entry, error);
    if (error) {
      walk.errors.push_back(
          absl::StrCat(entry.string(), ": cannot stat: ", Reason(error)));
    } else if (fs::is_symlink(status)) {
      ++walk.symlinks_skipped;
    } else if (fs::is_directory(status)) {
      WalkDirectory(entry, walk);
    } else if (fs::is_regular_file(status)) {
      walk.files.push_back({entry.string(), false});
    } else {
      ++walk.special_skipped;
    }
  }
}

}  // namespace

FileWalk WalkArguments(const std::vector<std::string>& arguments) {
  FileWalk walk;
  for (const std::string& argument : arguments) {
    std::error_code error;
    if (fs::is_directory(argument, error)) {
      walk.any_directory = true;
      WalkDirectory(argument, walk);
    } else {
      // Missing or unreadable: opening it names the reason.
      walk.files.push_back({argument, true});
    }
  }
  return walk;
}

}  // namespace granule::cli
