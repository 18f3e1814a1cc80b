// SPDX-License-Identifier: Apache-2.0
// Where Debian installs Guile's compiled modules (guile-2.2-libs,
// guile-3.0-libs): every *.go under /usr/lib/*/guile/{2.2,3.0}/ccache. Only
// the search, so fuzz seeds and benchmarks can use it without the readelf
// reports of testing/guile_corpus.h.
#ifndef GRANULE_TESTING_GUILE_FILES_H_
#define GRANULE_TESTING_GUILE_FILES_H_

#include <string>
#include <vector>

namespace granule::testing {

struct CorpusFile {
  std::string path;
  std::string version;  // "2.2" or "3.0": the directory it was found in.
};

struct GuileFiles {
  std::vector<std::string> directories;  // The ccache directories that exist.
  std::vector<CorpusFile> files;         // Sorted by path.
};

GuileFiles FindGuileFiles();

}  // namespace granule::testing

#endif  // GRANULE_TESTING_GUILE_FILES_H_
