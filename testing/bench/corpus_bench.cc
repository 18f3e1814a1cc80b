// SPDX-License-Identifier: Apache-2.0
// The Guile corpus: every compiled module of Debian's guile-3.0,
// loaded and released by granule (shared path, one process), against
// (a) the syscall floor, and the floor with the header reads
// (corpus_floor.h); and (b) Guile's own load-thunk-from-file over the same
// files, timed inside Guile.
// More lines hold other ways of loading against the same floor: without the
// section table (as a runtime that finds its own sections loads), with one
// AddressArena for the process, with and without the table, and
// LoadImages over the whole corpus (then every image released). Passes are
// interleaved and repeated; each line reports medians.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "loader/image_batch.h"
#include "loader/loaded_image.h"
#include "testing/bench/bench_row.h"
#include "testing/bench/corpus_floor.h"

namespace granule::bench {
namespace {

constexpr int kRounds = 11;
constexpr int kProfilePasses = 100;
constexpr size_t kMinimumCorpus = 300;
constexpr char kScript[] = "testing/bench/guile_load_thunks.scm";

LoadOptions SharedPath(bool arena, bool section_table = true) {
  LoadOptions options;
  options.path = LoadOptions::PathChoice::kShared;
  if (arena) options.arena = AddressArena::Create(**HostMemoryBackend());
  options.read_section_table = section_table;
  return options;
}

// A way of loading the corpus, timed against the floor.
struct Variant {
  const char* only;  // Its --only name.
  const char* row;
  const char* what;
  LoadOptions options;
  bool batch = false;  // LoadImages of the whole corpus, not LoadImage.
};

std::vector<Variant> Variants() {
  return {
      {"no_sections", "guile_corpus_no_sections_vs_floor",
       "LoadImage, the section table not read (a runtime that finds its "
       "own sections, as Guile)",
       SharedPath(false, false)},
      {"arena", "guile_corpus_arena_vs_floor",
       "LoadImage with one AddressArena for the process", SharedPath(true)},
      {"arena_no_sections", "guile_corpus_arena_no_sections_vs_floor",
       "LoadImage with one AddressArena, the section table not read",
       SharedPath(true, false)},
      {"batch", "guile_corpus_batch_vs_floor",
       "LoadImages of all files, then every image released",
       SharedPath(false), true},
  };
}

bool GranulePass(const std::vector<CorpusEntry>& corpus,
                 const LoadOptions& options = SharedPath(false)) {
  for (const CorpusEntry& e : corpus) {
    absl::StatusOr<std::unique_ptr<LoadedImage>> image =
        LoadImage(e.path, options);
    if (!image.ok()) {
      std::cerr << "granule: " << image.status() << "\n";
      return false;
    }
  }
  return true;
}

bool BatchPass(const std::vector<CorpusEntry>& corpus,
               const LoadOptions& options) {
  std::vector<std::string> paths;
  paths.reserve(corpus.size());
  for (const CorpusEntry& e : corpus) paths.push_back(e.path);
  for (const auto& image : LoadImages(paths, options)) {
    if (!image.ok()) {
      std::cerr << "granule: " << image.status() << "\n";
      return false;
    }
  }
  return true;
}

struct PassTimes {
  std::vector<double> wall, cpu;
  template <typename Pass>
  bool Run(Pass pass) {
    const double w = WallMs(), c = CpuMs();
    if (!pass()) return false;
    wall.push_back(WallMs() - w);
    cpu.push_back(CpuMs() - c);
    return true;
  }
};

std::string FindScript(const char* argv0) {
  std::vector<std::string> roots;
  if (const char* r = getenv("RUNFILES_DIR")) roots.push_back(r);
  roots.push_back(std::string(argv0) + ".runfiles");
  for (const std::string& root : roots) {
    const std::string p = root + "/granule/" + kScript;
    if (access(p.c_str(), R_OK) == 0) return p;
  }
  return access(kScript, R_OK) == 0 ? kScript : "";
}

bool VariantPass(const std::vector<CorpusEntry>& corpus, const Variant& v) {
  return v.batch ? BatchPass(corpus, v.options) : GranulePass(corpus, v.options);
}

bool HaveGuile() { return system("command -v guile >/dev/null 2>&1") == 0; }

struct GuileRun {
  std::vector<double> pass_ms;
  std::set<std::string> failed;
  size_t loaded = 0;
};

// Runs the script over the files in `list` with `passes` timed passes.
absl::StatusOr<GuileRun> RunGuile(const std::string& script,
                                  const std::string& list, int passes) {
  const std::string command = absl::StrFormat(
      "guile --no-auto-compile '%s' '%s' %d", script, list, passes);
  FILE* out = popen(command.c_str(), "r");
  if (out == nullptr) return absl::InternalError("popen: " + command);
  GuileRun run;
  char line[4096];
  while (fgets(line, sizeof line, out) != nullptr) {
    std::string text(line);
    if (!text.empty() && text.back() == '\n') text.pop_back();
    double ms;
    if (absl::StartsWith(text, "pass_ms: ") &&
        absl::SimpleAtod(text.substr(9), &ms)) {
      run.pass_ms.push_back(ms);
    } else if (absl::StartsWith(text, "failed: ")) {
      run.failed.insert(text.substr(8, text.find(": ", 8) - 8));
      std::cerr << "guile " << text << "\n";
    } else if (absl::StartsWith(text, "loaded: ")) {
      absl::SimpleAtoi(text.substr(8, text.find(' ', 8) - 8), &run.loaded);
    } else {
      std::cerr << "guile: " << text << "\n";
    }
  }
  const int status = pclose(out);
  if (status != 0 || run.pass_ms.size() != static_cast<size_t>(passes)) {
    return absl::InternalError(
        absl::StrFormat("%s: exit status %d, %d of %d passes", command, status,
                        run.pass_ms.size(), passes));
  }
  return run;
}

absl::Status WriteList(const std::vector<CorpusEntry>& corpus,
                       const std::string& path) {
  std::ofstream out(path);
  for (const CorpusEntry& e : corpus) out << e.path << "\n";
  out.close();
  return out ? absl::OkStatus() : absl::InternalError("cannot write " + path);
}

// For profiling (perf record, strace -c, callgrind): `--only=granule`,
// `--only=floor`, `--only=read_floor` or a variant's name runs `passes` passes of that loop alone
// and prints no row. False for a name it does not know.
bool ProfileOnly(const std::string& which,
                 const std::vector<CorpusEntry>& corpus, int passes,
                 int* exit_code) {
  std::function<bool()> pass;
  if (which == "granule") pass = [&] { return GranulePass(corpus); };
  if (which == "floor") pass = [&] { return FloorPass(corpus); };
  if (which == "read_floor") pass = [&] { return FloorPass(corpus, true); };
  for (const Variant& v : Variants()) {
    if (which == v.only) pass = [&corpus, v] { return VariantPass(corpus, v); };
  }
  if (!pass) return false;
  *exit_code = 0;
  for (int i = 0; i < passes && *exit_code == 0; ++i) {
    if (!pass()) *exit_code = 1;
  }
  std::cerr << "corpus_bench: " << passes << " " << which << " passes over "
            << corpus.size() << " files\n";
  return true;
}

int Main(const char* argv0, const std::string& only) {
  absl::StatusOr<std::vector<CorpusEntry>> prepared = PrepareGuileCorpus();
  if (!prepared.ok()) {
    std::cerr << "corpus_bench: " << prepared.status() << "\n";
    return 1;
  }
  const std::vector<CorpusEntry>& corpus = *prepared;
  if (corpus.size() < kMinimumCorpus) {
    std::cerr << "corpus_bench: found " << corpus.size()
              << " .go files under /usr/lib/*/guile/3.0/ccache, need "
              << kMinimumCorpus
              << ": install the Debian package guile-3.0-libs\n";
    return 1;
  }
  if (!only.empty()) {
    int exit_code = 1;
    if (ProfileOnly(only, corpus, kProfilePasses, &exit_code)) return exit_code;
    std::string names = "granule, floor, read_floor";
    for (const Variant& v : Variants()) absl::StrAppend(&names, ", ", v.only);
    std::cerr << "corpus_bench: --only takes one of " << names << ", not "
              << only << "\n";
    return 1;
  }
  const std::string script = FindScript(argv0);
  const bool guile = HaveGuile() && !script.empty();
  if (!guile) {
    std::cerr << "corpus_bench: the comparison with Guile's loader needs `guile` (Debian package "
                 "guile-3.0) and "
              << kScript << " (in this target's runfiles)\n";
  }
  absl::StatusOr<TempDir> dir = TempDir::Create("corpus_bench");
  if (!dir.ok()) {
    std::cerr << "corpus_bench: " << dir.status() << "\n";
    return 1;
  }
  const std::string list = dir->File("files.txt");
  if (absl::Status s = WriteList(corpus, list); !s.ok()) {
    std::cerr << "corpus_bench: " << s << "\n";
    return 1;
  }
  // Warm the page cache and find the files Guile cannot load standalone.
  if (!FloorPass(corpus) || !GranulePass(corpus)) return 1;
  std::vector<CorpusEntry> guile_loads = corpus;
  GuileRun guile_times;
  if (guile) {
    absl::StatusOr<GuileRun> probe = RunGuile(script, list, 0);
    if (!probe.ok()) {
      std::cerr << "corpus_bench: " << probe.status() << "\n";
      return 1;
    }
    guile_times.failed = probe->failed;
    guile_times.loaded = probe->loaded;
    guile_loads.erase(std::remove_if(guile_loads.begin(), guile_loads.end(),
                                     [&](const CorpusEntry& e) {
                                       return probe->failed.count(e.path) > 0;
                                     }),
                      guile_loads.end());
  }
  PassTimes granule_all, floor_all, read_floor_all, granule_subset;
  const std::vector<Variant> variants = Variants();
  const size_t dynamic_reads =
      std::count_if(corpus.begin(), corpus.end(),
                    [](const CorpusEntry& e) { return e.dynamic.length != 0; });
  std::vector<PassTimes> variant_times(variants.size());
  for (int round = 0; round < kRounds; ++round) {
    auto granule = [&] { return GranulePass(corpus); };
    auto floor = [&] { return FloorPass(corpus); };
    const bool ok = round % 2 == 0
                        ? granule_all.Run(granule) && floor_all.Run(floor)
                        : floor_all.Run(floor) && granule_all.Run(granule);
    if (!ok || !read_floor_all.Run([&] { return FloorPass(corpus, true); })) {
      return 1;
    }
    for (size_t i = 0; i < variants.size(); ++i) {
      const Variant& v = variants[i];
      if (!variant_times[i].Run([&] { return VariantPass(corpus, v); })) {
        return 1;
      }
    }
    if (!guile) continue;
    if (!granule_subset.Run([&] { return GranulePass(guile_loads); })) {
      return 1;
    }
    // Two timed passes per Guile process: the script's untimed first pass
    // has already warmed its heap.
    absl::StatusOr<GuileRun> run = RunGuile(script, list, 2);
    if (!run.ok()) {
      std::cerr << "corpus_bench: " << run.status() << "\n";
      return 1;
    }
    for (double ms : run->pass_ms) guile_times.pass_ms.push_back(ms);
  }
  const double granule_ms = Median(granule_all.wall);
  const double floor_ms = Median(floor_all.wall);
  const double cpu_ratio =
      Median(granule_all.cpu) / std::max(Median(floor_all.cpu), 1e-9);
  PrintRow({3, "guile_corpus_vs_floor", granule_ms, floor_ms, "ms", "<=1.2",
            granule_ms <= 1.2 * floor_ms,
            "open+fstat+mmap+mprotect(RW)+munmap+close_loop",
            absl::StrFormat(
                "%d .go files of guile-3.0, one pass each, median of %d "
                "interleaved passes, wall clock; per file %.1f us vs %.1f us; "
                "CPU-time ratio %.3f; shared path, LoadImage+release, -c opt",
                corpus.size(), kRounds, granule_ms * 1e3 / corpus.size(),
                floor_ms * 1e3 / corpus.size(), cpu_ratio)});
  for (size_t i = 0; i < variants.size(); ++i) {
    const PassTimes& times = variant_times[i];
    const double ms = Median(times.wall);
    PrintRow({3, variants[i].row, ms, floor_ms, "ms", "<=1.2",
              ms <= 1.2 * floor_ms,
              "open+fstat+mmap+mprotect(RW)+munmap+close_loop",
              absl::StrFormat("%s; per file %.1f us vs %.1f us; CPU-time "
                              "ratio %.3f; same rounds as above",
                              variants[i].what, ms * 1e3 / corpus.size(),
                              floor_ms * 1e3 / corpus.size(),
                              Median(times.cpu) /
                                  std::max(Median(floor_all.cpu), 1e-9))});
  }
  // What is left of the gap once the reads are counted in the floor: the
  // variant a runtime such as Guile would use.
  const double read_floor_ms = Median(read_floor_all.wall);
  const size_t no_sections =
      std::find_if(variants.begin(), variants.end(),
                   [](const Variant& v) {
                     return std::string(v.only) == "no_sections";
                   }) -
      variants.begin();
  const double no_sections_ms = Median(variant_times[no_sections].wall);
  PrintRow({3, "guile_corpus_no_sections_vs_read_floor", no_sections_ms,
            read_floor_ms, "ms", "none", std::nullopt,
            "open+fstat+pread(head)+pread(dynamic)+mmap+mprotect(RW)+munmap+"
            "close_loop",
            absl::StrFormat(
                "LoadImage, the section table not read, against the floor "
                "with the header reads (the head's 4 KiB, and the dynamic "
                "table where it lies past them: %d of %d files); per file "
                "%.1f us vs %.1f us; the header reads make the floor %.3f "
                "times the one without them; same rounds as above",
                dynamic_reads, corpus.size(), no_sections_ms * 1e3 / corpus.size(),
                read_floor_ms * 1e3 / corpus.size(),
                read_floor_ms / std::max(floor_ms, 1e-9))});
  if (!guile) return 1;
  const double subset_ms = Median(granule_subset.wall);
  const double guile_ms = Median(guile_times.pass_ms);
  PrintRow({3, "guile_corpus_vs_guile", subset_ms, guile_ms, "ms", "none",
            std::nullopt, "guile_load-thunk-from-file_loop",
            absl::StrFormat(
                "%d of %d files load in Guile standalone (%d fail, not timed); "
                "Guile timed inside Guile, median of %d passes in %d "
                "processes, and it also runs each image's init code",
                guile_loads.size(), corpus.size(), guile_times.failed.size(),
                guile_times.pass_ms.size(), kRounds)});
  return 0;
}

}  // namespace
}  // namespace granule::bench

int main(int argc, char** argv) {
  const std::string flag = argc > 1 ? argv[1] : "";
  const std::string only =
      flag.rfind("--only=", 0) == 0 ? flag.substr(7) : flag;
  return granule::bench::Main(argv[0], only);
}
