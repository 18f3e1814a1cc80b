// SPDX-License-Identifier: Apache-2.0
// The files `granule check` judges: each argument that is a file, and every
// regular file under each argument that is a directory, in name order.
// Symbolic links inside a directory are counted and not followed (the file
// they name is judged where it lies, once; a link to a directory cannot make
// the walk loop); sockets, pipes and devices are counted and never opened.
// An argument that is a symbolic link is followed: the user named it.
#ifndef GRANULE_CLI_FILE_WALK_H_
#define GRANULE_CLI_FILE_WALK_H_

#include <string>
#include <vector>

namespace granule::cli {

struct WalkedFile {
  std::string path;
  bool named;  // Given on the command line, not found in a directory.
};

struct FileWalk {
  std::vector<WalkedFile> files;
  // "DIR: cannot list: Permission denied": directories that could not be
  // read, by name with the reason. Their files are not judged.
  std::vector<std::string> errors;
  int directories = 0;       // Walked, the arguments included.
  int symlinks_skipped = 0;  // Found in a directory.
  int special_skipped = 0;   // Neither a regular file nor a directory.
  bool any_directory = false;  // An argument was a directory.
};

FileWalk WalkArguments(const std::vector<std::string>& arguments);

}  // namespace granule::cli

#endif  // GRANULE_CLI_FILE_WALK_H_
