// SPDX-License-Identifier: Apache-2.0
// main() for the fuzz targets when libFuzzer is not linked (any build but
// --config=fuzz): runs every file named, and every regular file in every
// directory named, through LLVMFuzzerTestOneInput once. Arguments starting
// with '-' (libFuzzer's flags) are ignored. Exits 1 when nothing ran, so a
// replay of an empty or missing corpus cannot pass unnoticed.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

bool RunFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "replay: cannot read %s\n", path.c_str());
    return false;
  }
  const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                   std::istreambuf_iterator<char>());
  LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  size_t ran = 0;
  bool all_read = true;
  for (int i = 1; i < argc; ++i) {
    if (argv[i][0] == '-') continue;
    std::error_code error;
    std::vector<fs::path> files;
    if (fs::is_directory(argv[i], error)) {
      for (const fs::directory_entry& entry :
           fs::recursive_directory_iterator(argv[i], error)) {
        if (entry.is_regular_file()) files.push_back(entry.path());
      }
    } else {
      files.push_back(argv[i]);
    }
    for (const fs::path& file : files) {
      if (RunFile(file))
        ++ran;
      else
        all_read = false;
    }
  }
  std::printf("replay: %zu inputs ran\n", ran);
  return ran > 0 && all_read ? 0 : 1;
}
