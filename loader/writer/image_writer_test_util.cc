// SPDX-License-Identifier: Apache-2.0
#include "loader/writer/image_writer_test_util.h"

#include <fstream>
#include <iterator>
#include <utility>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"

namespace granule {

testing::ReadelfReport ReadelfOrFail(const std::string& path) {
  absl::StatusOr<testing::ReadelfReport> report =
      testing::RunReadelfOnFile(path);
  if (!report.ok()) {
    ADD_FAILURE() << report.status();
    return {};
  }
  return *std::move(report);
}

std::vector<uint8_t> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

uint64_t LoadWordForTest(const uint8_t* p, int width, bool big_endian) {
  uint64_t value = 0;
  for (int i = 0; i < width; ++i) {
    const uint8_t byte = big_endian ? p[i] : p[width - 1 - i];
    value = (value << 8) | byte;
  }
  return value;
}

void StoreWordForTest(uint8_t* p, int width, bool big_endian, uint64_t value) {
  for (int i = 0; i < width; ++i) {
    p[big_endian ? width - 1 - i : i] = static_cast<uint8_t>(value >> (8 * i));
  }
}

std::vector<uint64_t> DecodeRelr(const std::vector<uint64_t>& words,
                                 int word_size) {
  std::vector<uint64_t> places;
  const uint64_t word = word_size, bits = word * 8 - 1;
  uint64_t next = 0;  // Where the next bitmap's bit 1 points.
  for (uint64_t entry : words) {
    if ((entry & 1) == 0) {  // An address.
      places.push_back(entry);
      next = entry + word;
      continue;
    }
    for (uint64_t bit = 0; bit < bits; ++bit) {
      if ((entry >> (bit + 1)) & 1) places.push_back(next + bit * word);
    }
    next += bits * word;
  }
  return places;
}

}  // namespace granule
