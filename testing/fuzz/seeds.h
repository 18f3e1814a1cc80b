// SPDX-License-Identifier: Apache-2.0
// The fuzzers' seed corpus: granule's writer outputs of every variant, both
// layouts and every relocation format, and Debian's compiled Guile modules.
#ifndef GRANULE_TESTING_FUZZ_SEEDS_H_
#define GRANULE_TESTING_FUZZ_SEEDS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace granule::fuzz {

struct Seed {
  std::string name;  // A file name: "writer-ELF64-be-compact-relr.elf".
  std::vector<uint8_t> bytes;
};

// The writer's images: 4 variants x 2 layouts x 3 relocation formats, each
// with relocations into every section and Guile's dynamic entries.
absl::StatusOr<std::vector<Seed>> WriterSeeds();

// Up to `limit` Guile .go files from /usr/lib/*/guile/{2.2,3.0}/ccache,
// spread over both versions and over sizes up to 512 KiB. FailedPrecondition
// when none is installed (./bazelw test installs guile-2.2-libs and
// guile-3.0-libs).
absl::StatusOr<std::vector<Seed>> GuileSeeds(size_t limit);

}  // namespace granule::fuzz

#endif  // GRANULE_TESTING_FUZZ_SEEDS_H_
