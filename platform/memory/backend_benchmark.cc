// SPDX-License-Identifier: Apache-2.0
// What one map-a-file round trip costs on each backend, by file size:
// reserve, map the file read-only, make its last 64 KiB writable, write one
// byte there, release. The POSIX backend should cost the same at 1 MiB and
// 64 MiB (no page is read that is not touched); the malloc backend reads
// every byte, so it grows with the size.
//
// ./bazelw run -c opt //platform/memory:backend_benchmark
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "benchmark/benchmark.h"
#include "platform/memory/malloc_backend.h"
#include "platform/memory/memory_backend.h"

namespace granule {
namespace {

constexpr size_t kUnit = 64 * 1024;

// A file of `size` bytes under TMPDIR, made once per size.
absl::StatusOr<const File*> ImageOfSize(size_t size) {
  static auto* files = new std::vector<std::pair<size_t, File>>;
  for (const auto& [s, f] : *files) {
    if (s == size) return &f;
  }
  const char* dir = std::getenv("TMPDIR");
  std::string path = absl::StrFormat("%s/granule-bench-%u.bin",
                                     dir != nullptr ? dir : "/tmp", size);
  std::FILE* out = std::fopen(path.c_str(), "wb");
  std::vector<char> chunk(kUnit, 'g');
  for (size_t done = 0; out != nullptr && done < size; done += kUnit) {
    std::fwrite(chunk.data(), 1, kUnit, out);
  }
  if (out != nullptr) std::fclose(out);
  absl::StatusOr<File> file = File::OpenForReading(path);
  std::remove(path.c_str());  // The open file keeps the bytes.
  if (!file.ok()) return file.status();
  files->emplace_back(size, std::move(*file));
  return &files->back().second;
}

void MapRoundTrip(benchmark::State& state, MemoryBackend& backend) {
  const size_t size = static_cast<size_t>(state.range(0));
  absl::StatusOr<const File*> file = ImageOfSize(size);
  if (!file.ok()) {
    state.SkipWithError(file.status().ToString().c_str());
    return;
  }
  for (auto _ : state) {
    absl::StatusOr<Region> region = backend.Reserve(size, kUnit);
    absl::Status status = region.status();
    if (status.ok()) status = region->MapFile(0, **file, 0, size);
    if (status.ok()) {
      status = region->Protect(size - kUnit, kUnit, Protection::kReadWrite);
    }
    if (!status.ok()) {
      state.SkipWithError(status.ToString().c_str());
      break;
    }
    region->data()[size - 1] = 1;
    benchmark::DoNotOptimize(region->data());
  }
  state.SetLabel(backend.traits().name);
}

void BM_HostBackend(benchmark::State& state) {
  MapRoundTrip(state, **HostMemoryBackend());
}
void BM_MallocBackend(benchmark::State& state) {
  MapRoundTrip(state, HeapMemoryBackend());
}

BENCHMARK(BM_HostBackend)
    ->Arg(1 << 20)
    ->Arg(64 << 20)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_MallocBackend)
    ->Arg(1 << 20)
    ->Arg(64 << 20)
    ->Unit(benchmark::kMicrosecond);

// Prints the size ratios (64 MiB over 1 MiB) from this run's own figures.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  RatioReporter() : ConsoleReporter(OO_None) {}
  // Keyed by the benchmark's name without aggregate suffix; with
  // repetitions the median, reported after the iterations, wins.
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      if (run.run_type == Run::RT_Iteration || run.aggregate_name == "median") {
        times_[run.run_name.str()] = run.GetAdjustedRealTime();
      }
    }
    ConsoleReporter::ReportRuns(runs);
  }
  void PrintRatios() const {
    for (const char* backend : {"BM_HostBackend", "BM_MallocBackend"}) {
      auto small = times_.find(absl::StrCat(backend, "/1048576"));
      auto large = times_.find(absl::StrCat(backend, "/67108864"));
      if (small != times_.end() && large != times_.end()) {
        std::printf("%-18s 64 MiB / 1 MiB round trip: %.2fx\n", backend,
                    large->second / small->second);
      }
    }
  }

 private:
  std::map<std::string, double> times_;
};

}  // namespace
}  // namespace granule

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  granule::RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.PrintRatios();
  benchmark::Shutdown();
  return 0;
}
