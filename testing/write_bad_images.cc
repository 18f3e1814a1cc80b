// SPDX-License-Identifier: Apache-2.0
// write_bad_images DIR: writes each bad-input catalogue case as
// DIR/<name>.go and a table DIR/expected.tsv of "name<TAB>stage<TAB>expected
// message" lines, for tests that run the granule command on them.
#include <cstdio>
#include <fstream>
#include <string>

#include "absl/strings/str_format.h"
#include "testing/bad_images.h"

namespace {

bool WriteFile(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  out.close();
  return !out.fail();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    absl::FPrintF(stderr, "usage: write_bad_images DIR\n");
    return 2;
  }
  const std::string dir = argv[1];
  std::string table;
  for (const granule::testing::BadImage& c : granule::testing::BadImages()) {
    const std::string path = absl::StrFormat("%s/%s.go", dir, c.name);
    if (!WriteFile(path, c.bytes)) {
      absl::FPrintF(stderr, "write_bad_images: cannot write %s\n", path);
      return 1;
    }
    absl::StrAppendFormat(&table, "%s\t%s\t%s\n", c.name,
                          granule::testing::BadImageStageName(c.stage),
                          c.expected);
  }
  const std::string tsv = dir + "/expected.tsv";
  if (!WriteFile(tsv, std::vector<uint8_t>(table.begin(), table.end()))) {
    absl::FPrintF(stderr, "write_bad_images: cannot write %s\n", tsv);
    return 1;
  }
  absl::PrintF("wrote %d cases to %s\n", granule::testing::BadImages().size(),
               dir);
  return 0;
}
