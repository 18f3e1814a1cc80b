// SPDX-License-Identifier: Apache-2.0
// Relocations: an image with 100,000 relative relocations, written by
// granule's writer (RELA and RELR), loaded and released, against dlopen
// (RTLD_NOW) and dlclose of the equivalent shared library built by the
// system compiler -O2 -fPIC from 100,000 static pointers
// (generate_pointers.sh). The three are timed in turn, in one process, many
// times, so noise on this shared machine hits all of them; medians compared.
//
// ./bazelw run -c opt //testing/bench:relocation_bench [-- LIBRARY.so]
#include <dlfcn.h>

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

constexpr int kPointers = 100000;
constexpr int kWarmup = 10;
constexpr int kIterations = 200;
constexpr char kLibrary[] = "testing/bench/libpointers_100k.so";

absl::StatusOr<std::string> WriteRelocatedImage(RelocationFormat format) {
  ImageSpec spec;
  spec.machine = elf::kMachineX86_64;
  spec.relocation_format = format;
  spec.sections = {
      {".rodata", SectionAccess::kRead, 16, std::vector<uint8_t>(kPointers, 1),
       0},
      {".data", SectionAccess::kReadWrite, 8,
       std::vector<uint8_t>(kPointers * 8, 0), 0},
  };
  spec.relocations.reserve(kPointers);
  for (uint64_t i = 0; i < kPointers; ++i) {
    spec.relocations.push_back({{".data", i * 8}, {".rodata", i}});
  }
  const std::string path =
      absl::StrFormat("%s/granule-bench-relocs-%s.go", ScratchDir(),
                      format == RelocationFormat::kRelr ? "relr" : "rela");
  GRANULE_RETURN_IF_ERROR(WriteImage(spec, path));
  return path;
}

// The library beside this binary in its runfiles, as `bazel run` and run.sh
// start it (working directory: the workspace's runfiles).
std::string FindLibrary(int argc, char** argv) {
  if (argc > 1) return argv[1];
  const std::string beside = std::string(argv[0]) + ".runfiles/granule/";
  if (std::FILE* f = std::fopen((beside + kLibrary).c_str(), "r")) {
    std::fclose(f);
    return beside + kLibrary;
  }
  return std::string("./") + kLibrary;
}

// Microseconds for one load and release; negative on failure.
double TimeGranule(const std::string& path) {
  const double start = 1000 * WallMs();
  absl::StatusOr<std::unique_ptr<LoadedImage>> image = LoadImage(path);
  if (!image.ok()) {
    std::fprintf(stderr, "%s\n", image.status().ToString().c_str());
    return -1;
  }
  if ((*image)->relocations_applied() != kPointers) return -1;
  image->reset();
  return 1000 * WallMs() - start;
}

double TimeDlopen(const std::string& library) {
  const double start = 1000 * WallMs();
  void* handle = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    std::fprintf(stderr, "dlopen: %s\n", dlerror());
    return -1;
  }
  if (dlclose(handle) != 0) return -1;
  return 1000 * WallMs() - start;
}

int Run(int argc, char** argv) {
  absl::StatusOr<std::string> rela =
      WriteRelocatedImage(RelocationFormat::kRela);
  absl::StatusOr<std::string> relr =
      WriteRelocatedImage(RelocationFormat::kRelr);
  if (!rela.ok() || !relr.ok()) {
    std::fprintf(stderr, "writing the images failed: %s %s\n",
                 rela.status().ToString().c_str(),
                 relr.status().ToString().c_str());
    return 1;
  }
  const std::string library = FindLibrary(argc, argv);
  std::vector<double> rela_us, relr_us, dlopen_us;
  for (int i = 0; i < kWarmup + kIterations; ++i) {
    const double a = TimeGranule(*rela), b = TimeGranule(*relr),
                 c = TimeDlopen(library);
    if (a < 0 || b < 0 || c < 0) return 1;
    if (i < kWarmup) continue;
    rela_us.push_back(a);
    relr_us.push_back(b);
    dlopen_us.push_back(c);
  }
  const double reference = Median(dlopen_us);
  const std::string note = absl::StrFormat(
      "median_of_%d_interleaved_runs;100000_R_X86_64_RELATIVE_both_sides;"
      "reference_built_-O2_-fPIC_by_the_system_compiler",
      kIterations);
  PrintRow(RatioRow(1, "relocs_100k_rela", Median(rela_us), reference, "us",
                    0.5, "dlopen_RTLD_NOW+dlclose", note));
  PrintRow(RatioRow(1, "relocs_100k_relr", Median(relr_us), reference, "us",
                    0.5, "dlopen_RTLD_NOW+dlclose", note));
  std::remove(rela->c_str());
  std::remove(relr->c_str());
  return 0;
}

}  // namespace
}  // namespace granule::bench

int main(int argc, char** argv) { return granule::bench::Run(argc, argv); }
