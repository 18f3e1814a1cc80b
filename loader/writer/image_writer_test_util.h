// SPDX-License-Identifier: Apache-2.0
// Test helpers for the writer: readelf's report on a written file, the gABI
// numbers for what readelf names, word access and a RELR decoder, all written
// independently of the writer's.
#ifndef GRANULE_LOADER_WRITER_IMAGE_WRITER_TEST_UTIL_H_
#define GRANULE_LOADER_WRITER_IMAGE_WRITER_TEST_UTIL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "testing/readelf.h"

namespace granule {

// The gABI's numbers for readelf's "LOAD", "R E" and so on, written here
// rather than taken from loader/elf/elf_format.h, so that a wrong constant there,
// shared by the writer, cannot hide.
namespace gabi {
inline constexpr uint32_t kPtLoad = 1, kPtDynamic = 2;
inline constexpr uint32_t kPfX = 1, kPfW = 2, kPfR = 4;
inline constexpr int64_t kDtHash = 4, kDtStrtab = 5, kDtSymtab = 6,
                         kDtStrsz = 10, kDtSyment = 11;
}  // namespace gabi

// readelf's report on `path`. If readelf cannot run or its output cannot be
// parsed, the test fails and the report is empty.
testing::ReadelfReport ReadelfOrFail(const std::string& path);

std::vector<uint8_t> ReadFile(const std::string& path);

// Written apart from loader/elf/byte_order.h on purpose: the writer encodes with
// that header, so checking its output with it could hide a byte-order bug.
uint64_t LoadWordForTest(const uint8_t* p, int width, bool big_endian);
void StoreWordForTest(uint8_t* p, int width, bool big_endian, uint64_t value);

// The addresses a RELR table relocates, by the ELF gABI's definition.
std::vector<uint64_t> DecodeRelr(const std::vector<uint64_t>& words,
                                 int word_size);

}  // namespace granule

#endif  // GRANULE_LOADER_WRITER_IMAGE_WRITER_TEST_UTIL_H_
