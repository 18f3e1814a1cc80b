// SPDX-License-Identifier: Apache-2.0
// Image size: does a load cost the same for a 1 MiB and a 1 GiB image?
// Both are written by granule's writer in the 1:1 layout with the same
// sections (R, RX, RW; no relocations, so nothing is written at load); only
// p_align differs (512 KiB against 512 MiB), so the file and the span are
// ~1 MiB against ~1 GiB, the gaps holes in a sparse file. Shared path: map,
// protect, release; the malloc path beside it reads the file bytes into a
// heap block as large as the span. Interleaved, medians.
//
// ./bazelw run -c opt //testing/bench:size_bench
#include <sys/stat.h>

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

constexpr int kWarmup = 5;
constexpr int kIterations = 100;
constexpr uint64_t kMaxImage = uint64_t{4} << 30;

absl::StatusOr<std::string> WriteSpanningImage(uint64_t alignment,
                                               const char* name) {
  ImageSpec spec;
  spec.machine = elf::kMachineX86_64;
  spec.segment_alignment = alignment;
  spec.sections = {
      {".rodata", SectionAccess::kRead, 16, std::vector<uint8_t>(16384, 1), 0},
      {".text", SectionAccess::kReadExecute, 16, std::vector<uint8_t>(4096, 2),
       0},
      {".data", SectionAccess::kReadWrite, 8, std::vector<uint8_t>(4096, 3), 0},
  };
  const std::string path =
      absl::StrFormat("%s/granule-bench-size-%s.go", ScratchDir(), name);
  GRANULE_RETURN_IF_ERROR(WriteImage(spec, path));
  return path;
}

double TimeLoad(const std::string& path, LoadOptions::PathChoice choice) {
  LoadOptions options;
  options.path = choice;
  options.max_image_size = kMaxImage;
  const double start = 1000 * WallMs();
  absl::StatusOr<std::unique_ptr<LoadedImage>> image = LoadImage(path, options);
  if (!image.ok()) {
    std::fprintf(stderr, "%s\n", image.status().ToString().c_str());
    return -1;
  }
  image->reset();
  return 1000 * WallMs() - start;
}

std::string Describe(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return "unknown";
  return absl::StrFormat("%.1fMiB_file_%.0fKiB_on_disk", st.st_size / 1048576.0,
                         st.st_blocks * 512 / 1024.0);
}

int Run() {
  absl::StatusOr<std::string> small = WriteSpanningImage(512 << 10, "1mib");
  absl::StatusOr<std::string> large =
      WriteSpanningImage(uint64_t{512} << 20, "1gib");
  if (!small.ok() || !large.ok()) {
    std::fprintf(stderr, "writing the images failed: %s %s\n",
                 small.status().ToString().c_str(),
                 large.status().ToString().c_str());
    return 1;
  }
  using Choice = LoadOptions::PathChoice;
  std::vector<double> shared_small, shared_large, malloc_small, malloc_large;
  for (int i = 0; i < kWarmup + kIterations; ++i) {
    const double a = TimeLoad(*small, Choice::kShared),
                 b = TimeLoad(*large, Choice::kShared),
                 c = TimeLoad(*small, Choice::kMalloc),
                 d = TimeLoad(*large, Choice::kMalloc);
    if (a < 0 || b < 0 || c < 0 || d < 0) return 1;
    if (i < kWarmup) continue;
    shared_small.push_back(a);
    shared_large.push_back(b);
    malloc_small.push_back(c);
    malloc_large.push_back(d);
  }
  const std::string note =
      absl::StrFormat("small=%s;large=%s;median_of_%d_interleaved_runs",
                      Describe(*small), Describe(*large), kIterations);
  PrintRow(RatioRow(2, "size_1gib_vs_1mib_shared", Median(shared_large),
                    Median(shared_small), "us", 1.2,
                    "same_load_of_the_1MiB_image", note));
  PrintRow(RatioRow(2, "size_1gib_vs_1mib_malloc", Median(malloc_large),
                    Median(malloc_small), "us", std::nullopt,
                    "same_load_of_the_1MiB_image", note));
  std::remove(small->c_str());
  std::remove(large->c_str());
  return 0;
}

}  // namespace
}  // namespace granule::bench

int main() { return granule::bench::Run(); }
