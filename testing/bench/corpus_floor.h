// SPDX-License-Identifier: Apache-2.0
// corpus_bench's corpus and its syscall floors: every compiled module of
// Debian's guile-3.0 with what a loader told the headers beforehand needs
// (the writable page ranges), found with granule's reader before any
// timing, and the loops that load the files with nothing but the system
// calls: open, fstat, one mmap of the whole file, mprotect of each writable
// range, munmap, close; with `read_headers`, also the reads a loader not
// told the headers cannot avoid.
#ifndef GRANULE_TESTING_BENCH_CORPUS_FLOOR_H_
#define GRANULE_TESTING_BENCH_CORPUS_FLOOR_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace granule::bench {

struct PageRange {
  uint64_t offset, length;
};

struct CorpusEntry {
  std::string path;
  std::vector<PageRange> writable;  // Page-rounded, inside the file.
  PageRange head;                   // What granule's reader reads first.
  PageRange dynamic;  // The dynamic table, if past the head (else length 0).
};

// The .go files under /usr/lib/*/guile/3.0/ccache (testing/guile_files.h),
// by path; an error names the first file granule's reader refuses.
absl::StatusOr<std::vector<CorpusEntry>> PrepareGuileCorpus();

// One pass of the floor over `corpus`; with `read_headers`, each file's head
// and (where it lies past the head) its dynamic table are read first, one
// pread each. False, with a message, if any call failed.
bool FloorPass(const std::vector<CorpusEntry>& corpus,
               bool read_headers = false);

}  // namespace granule::bench

#endif  // GRANULE_TESTING_BENCH_CORPUS_FLOOR_H_
