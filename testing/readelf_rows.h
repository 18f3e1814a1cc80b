// SPDX-License-Identifier: Apache-2.0
// Parsers for single rows of `readelf -W` tables, for testing/readelf.cc. Each
// returns false when the row is not in the form readelf prints, so that the
// caller can name the line.
#ifndef GRANULE_TESTING_READELF_ROWS_H_
#define GRANULE_TESTING_READELF_ROWS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "testing/readelf.h"

namespace granule::testing::readelf_rows {

std::vector<absl::string_view> Words(absl::string_view line);

// "0x1f0", as readelf prints program headers and dynamic values.
bool ParseHex(absl::string_view text, uint64_t* value);

// The N of "... contains N entries:" (or "1 entry:").
bool ParseAnnouncedCount(absl::string_view line, size_t* count);

// "[ 1] .rodata PROGBITS 0000000000000120 000120 001388 00 A 0 0 8".
bool ParseSectionRow(absl::string_view row, size_t* index,
                     ReadelfSection* section);

// "LOAD 0x000000 0x0...0 0x0...0 0x078f90 0x078f90 R E 0x10000".
bool ParseSegmentRow(absl::string_view row, ReadelfSegment* segment);

// "0x0000000037146002 (<unknown>: 37146002) 0xe8".
bool ParseDynamicRow(absl::string_view row, ReadelfDynamic* entry);

// "0000000000020008  0000000000000008 R_X86_64_RELATIVE  10000"; `rela`
// when the table has an Addend column.
bool ParseRelocationRow(absl::string_view row, bool rela,
                        ReadelfRelocation* relocation);

// "0000000000020008": one address a RELR table relocates.
bool ParseRelrRow(absl::string_view row, uint64_t* offset);

}  // namespace granule::testing::readelf_rows

#endif  // GRANULE_TESTING_READELF_ROWS_H_
