// SPDX-License-Identifier: Apache-2.0
#include "testing/guile_files.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

namespace granule::testing {

GuileFiles FindGuileFiles() {
  namespace fs = std::filesystem;
  GuileFiles found;
  std::error_code error;
  for (const fs::directory_entry& lib :
       fs::directory_iterator("/usr/lib", error)) {
    for (const char* version : {"2.2", "3.0"}) {
      const fs::path dir = lib.path() / "guile" / version / "ccache";
      if (!fs::is_directory(dir, error)) continue;
      found.directories.push_back(dir.string());
      for (fs::recursive_directory_iterator it(dir, error), end;
           !error && it != end; it.increment(error)) {
        if (it->is_regular_file(error) && it->path().extension() == ".go") {
          found.files.push_back({it->path().string(), version});
        }
      }
    }
  }
  std::sort(
      found.files.begin(), found.files.end(),
      [](const CorpusFile& a, const CorpusFile& b) { return a.path < b.path; });
  return found;
}

}  // namespace granule::testing
