// SPDX-License-Identifier: Apache-2.0
// What every fuzz target shares: the input as an image, and the checks whose
// failure is a finding. A finding must stop the process where libFuzzer (or
// the replay test) sees it, so the checks trap rather than return errors.
#ifndef GRANULE_TESTING_FUZZ_FUZZ_CHECKS_H_
#define GRANULE_TESTING_FUZZ_FUZZ_CHECKS_H_

#include <cstddef>
#include <cstdint>

#include "platform/file.h"
#include "platform/memory/memory_backend.h"

namespace granule::fuzz {

// Prints `what` to stderr and traps: a finding.
[[noreturn]] void Fail(const char* what);

// Traps with `what` unless `condition` holds.
inline void Require(bool condition, const char* what) {
  if (!condition) Fail(what);
}

// The input as a file. A failure to make the file is the harness's, not the
// library's: it traps too, so it is never mistaken for a rejected input.
File InputFile(const uint8_t* data, size_t size);

// A finding unless `backend` holds no region and no mapping.
void RequireEmptyLedger(const MemoryBackend& backend, const char* which);

// Reads the first and last byte of [data, data + size): ASan reports a range
// the loader promised but that runs outside its memory. (Every byte would
// cost the loader fuzzer most of its speed on 64 KiB-aligned images.)
uint64_t TouchEnds(const uint8_t* data, size_t size);

}  // namespace granule::fuzz

#endif  // GRANULE_TESTING_FUZZ_FUZZ_CHECKS_H_
