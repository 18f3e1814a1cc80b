// SPDX-License-Identifier: Apache-2.0
// Debian's compiled Guile modules, found where guile-2.2-libs and
// guile-3.0-libs install them, with readelf's view of each: a corpus of real
// 64 KiB-aligned images that no one here wrote.
#ifndef GRANULE_TESTING_GUILE_CORPUS_H_
#define GRANULE_TESTING_GUILE_CORPUS_H_

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "testing/guile_files.h"
#include "testing/readelf.h"

namespace granule::testing {

struct GuileCorpus {
  std::vector<std::string> directories;  // The ccache directories that exist.
  std::vector<CorpusFile> files;         // Sorted by path.
  std::map<std::string, ReadelfReport> readelf;  // By path.
  absl::Status readelf_status;  // Why `readelf` is incomplete, if it is.

  // Why the corpus is too small to test with: what was searched and how to
  // install it.
  std::string MissingMessage(size_t minimum) const;
};

// Every *.go under /usr/lib/*/guile/{2.2,3.0}/ccache (recursively), with
// readelf run on all of them, once per process.
const GuileCorpus& TheGuileCorpus();

}  // namespace granule::testing

#endif  // GRANULE_TESTING_GUILE_CORPUS_H_
