// SPDX-License-Identifier: Apache-2.0
// The fuzzers' input bytes as a File, the only thing the reader and the
// backends read from. File cannot be made from memory, so the bytes go into
// one memory-backed file reused for every input: no disk, no new name.
#ifndef GRANULE_TESTING_FUZZ_FUZZ_INPUT_H_
#define GRANULE_TESTING_FUZZ_FUZZ_INPUT_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/statusor.h"
#include "platform/file.h"

namespace granule::fuzz {

// A File opened on exactly `size` bytes from `data`. Valid until the next
// call (the bytes behind it are replaced then).
absl::StatusOr<File> FileWithBytes(const uint8_t* data, size_t size);

}  // namespace granule::fuzz

#endif  // GRANULE_TESTING_FUZZ_FUZZ_INPUT_H_
