// SPDX-License-Identifier: Apache-2.0
#include "testing/fuzz/fuzz_checks.h"

#include <cstdio>

#include "testing/fuzz/fuzz_input.h"

namespace granule::fuzz {

void Fail(const char* what) {
  std::fprintf(stderr, "granule fuzz finding: %s\n", what);
  std::fflush(stderr);
  __builtin_trap();
}

File InputFile(const uint8_t* data, size_t size) {
  absl::StatusOr<File> file = FileWithBytes(data, size);
  if (!file.ok()) {
    std::fprintf(stderr, "fuzz harness: %s\n",
                 file.status().ToString().c_str());
    Fail("could not make the input file");
  }
  Require(file->size() == size, "input file size differs from the input");
  return *std::move(file);
}

void RequireEmptyLedger(const MemoryBackend& backend, const char* which) {
  if (backend.live_regions() != 0 || backend.live_mappings() != 0) {
    std::fprintf(stderr, "%s backend: %zu live regions, %zu live mappings\n",
                 which, backend.live_regions(), backend.live_mappings());
    Fail("a backend's ledger is not back to zero after release");
  }
}

uint64_t TouchEnds(const uint8_t* data, size_t size) {
  return size == 0 ? 0 : uint64_t{data[0]} + data[size - 1];
}

}  // namespace granule::fuzz
