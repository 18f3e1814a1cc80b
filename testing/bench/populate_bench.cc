// SPDX-License-Identifier: Apache-2.0
// Populating writable pages: a 64 MiB RW segment whose pages relocations write at
// load, loaded lazily (one copy-on-write fault per page written) and with
// LoadOptions::populate_writable (one MADV_POPULATE_WRITE call, or a touch
// per page where the kernel lacks it), then every page read once (the
// program using its data). Two images: relocations on every page (dense)
// and on one page in 64 (sparse). Interleaved, medians.
//
// ./bazelw run -c opt //testing/bench:populate_bench
#include <sys/mman.h>

#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "loader/loaded_image.h"
#include "loader/writer/image_writer.h"
#include "platform/status_macros.h"
#include "testing/bench/bench_row.h"

namespace granule::bench {
namespace {

constexpr uint64_t kDataSize = 64 << 20;
constexpr uint64_t kPage = 4096;
constexpr int kWarmup = 2;
constexpr int kIterations = 15;

absl::StatusOr<std::string> WriteImageRelocatingEvery(uint64_t stride,
                                                      const char* name) {
  ImageSpec spec;
  spec.machine = elf::kMachineX86_64;
  spec.sections = {
      {".rodata", SectionAccess::kRead, 16, std::vector<uint8_t>(4096, 1), 0},
      {".data", SectionAccess::kReadWrite, 4096,
       std::vector<uint8_t>(kDataSize, 0), 0},
  };
  for (uint64_t at = 0; at < kDataSize; at += stride) {
    spec.relocations.push_back({{".data", at}, {".rodata", 0}});
  }
  const std::string path =
      absl::StrFormat("%s/granule-bench-populate-%s.go", ScratchDir(), name);
  GRANULE_RETURN_IF_ERROR(WriteImage(spec, path));
  return path;
}

// Load, read one byte of every RW page, release.
double TimeLoadAndTouch(const std::string& path, bool populate) {
  LoadOptions options;
  options.path = LoadOptions::PathChoice::kShared;
  options.populate_writable = populate;
  const double start = 1000 * WallMs();
  absl::StatusOr<std::unique_ptr<LoadedImage>> image = LoadImage(path, options);
  if (!image.ok()) {
    std::fprintf(stderr, "%s\n", image.status().ToString().c_str());
    return -1;
  }
  uint64_t sum = 0;
  for (const LoadedImage::LoadedSegment& s : (*image)->segments()) {
    if (s.protection != Protection::kReadWrite) continue;
    for (uint64_t at = 0; at < s.size; at += kPage) {
      sum += *static_cast<volatile uint8_t*>(s.data + at);
    }
  }
  image->reset();
  return sum == 1 ? -2 : 1000 * WallMs() - start;  // `sum` keeps the reads.
}

// What Region::Populate uses on this kernel, asked the same way.
const char* PopulateMechanism() {
  void* p = mmap(nullptr, kPage, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return "unknown";
  const bool has = madvise(p, kPage, MADV_POPULATE_WRITE) == 0;
  munmap(p, kPage);
  return has ? "MADV_POPULATE_WRITE" : "touch_per_page(no_MADV_POPULATE_WRITE)";
}

int Run() {
  struct Case {
    Case(const char* name, uint64_t stride) : name(name), stride(stride) {}
    const char* name;
    uint64_t stride;
    absl::StatusOr<std::string> path = std::string();
    std::vector<double> lazy, populated;
  };
  std::vector<Case> cases;
  cases.emplace_back("dense", kPage);
  cases.emplace_back("sparse", 64 * kPage);
  for (Case& c : cases) {
    c.path = WriteImageRelocatingEvery(c.stride, c.name);
    if (!c.path.ok()) {
      std::fprintf(stderr, "%s\n", c.path.status().ToString().c_str());
      return 1;
    }
  }
  for (int i = 0; i < kWarmup + kIterations; ++i) {
    for (Case& c : cases) {
      const double lazy = TimeLoadAndTouch(*c.path, false);
      const double populated = TimeLoadAndTouch(*c.path, true);
      if (lazy < 0 || populated < 0) return 1;
      if (i < kWarmup) continue;
      c.lazy.push_back(lazy);
      c.populated.push_back(populated);
    }
  }
  for (Case& c : cases) {
    PrintRow(RatioRow(
        4, absl::StrFormat("rw64mib_%s_populate_vs_lazy", c.name),
        Median(c.populated), Median(c.lazy), "us", std::nullopt,
        "lazy_faulting_(default)",
        absl::StrFormat("load+read_every_RW_page;relocation_every_%u_"
                        "KiB;populate_by_%s;median_of_%d_interleaved_runs",
                        c.stride / 1024, PopulateMechanism(), kIterations)));
    std::remove(c.path->c_str());
  }
  return 0;
}

}  // namespace
}  // namespace granule::bench

int main() { return granule::bench::Run(); }
