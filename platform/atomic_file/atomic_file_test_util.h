// SPDX-License-Identifier: Apache-2.0
// Directories and files as atomic_file_test sees them, through the C++
// library so that every OS's test file can use them.
#ifndef GRANULE_PLATFORM_ATOMIC_FILE_ATOMIC_FILE_TEST_UTIL_H_
#define GRANULE_PLATFORM_ATOMIC_FILE_ATOMIC_FILE_TEST_UTIL_H_

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

#include "gtest/gtest.h"
#include "testing/temp_file.h"

namespace granule::testing {

// A fresh, empty directory, so a test can list exactly what it left.
inline std::string MakeDirectory(const std::string& stem) {
  std::string dir = TempPath(stem);
  std::error_code error;
  EXPECT_TRUE(std::filesystem::create_directory(dir, error))
      << dir << ": " << error.message();
  return dir;
}

// The names in `dir`, sorted; none when it cannot be read.
inline std::vector<std::string> ListDirectory(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// The bytes of the file at `path`; none when it cannot be opened.
inline std::vector<uint8_t> ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in),
                              std::istreambuf_iterator<char>());
}

}  // namespace granule::testing

#endif  // GRANULE_PLATFORM_ATOMIC_FILE_ATOMIC_FILE_TEST_UTIL_H_
