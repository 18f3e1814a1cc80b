// SPDX-License-Identifier: Apache-2.0
// Debian's Guile on granule (through //testing/guile:granule_preload.so)
// against Debian's Guile alone, in one run:
//   startup    `guile -c ''`, the two alternated, median wall time;
//   load loop  load-thunk-from-file over every .go Guile ships, timed inside
//              Guile (guile_load_thunks.scm), median pass over several
//              alternated processes, shared and malloc;
//   memory     the summed PSS of 8 concurrent Guile processes that each
//              loaded that corpus (guile_hold_corpus.scm): plain, granule
//              shared, granule malloc.
// The goal is granule underneath no slower than Guile alone, with the same
// PSS. A granule run in which the preload loaded nothing fails the program.
#include <algorithm>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "platform/status_macros.h"
#include "testing/bench/bench_row.h"
#include "testing/bench/guile_process.h"

namespace granule::bench {
namespace {

constexpr int kRow = 7;
constexpr int kStartupRuns = 15;
// Each load adds the image's writable segment to the GC's root sets, of which
// Debian's libgc holds 2048: the probe pass and 4 timed ones over 331 files
// stay below it.
constexpr int kLoopPasses = 4;
constexpr int kLoopProcesses = 5;  // Per variant, alternated.
constexpr int kProcesses = 8;
constexpr char kPreload[] = "testing/guile/granule_preload.so";
constexpr char kLoopScript[] = "testing/bench/guile_load_thunks.scm";
constexpr char kHoldScript[] = "testing/bench/guile_hold_corpus.scm";

// How Guile runs: its name, and the environment that puts it on granule.
struct Variant {
  std::string name;  // plain, shared, malloc
  std::vector<std::string> environment;
  std::string report;  // The preload's report file; empty for plain.
};

Variant MakeVariant(const std::string& name, const std::string& preload,
                    const TempDir& dir) {
  if (name == "plain") return {name, {}, ""};
  // The preload loaded but loading nothing: its own cost alone.
  if (name == "off")
    return {name, {"LD_PRELOAD=" + preload, "GRANULE_PRELOAD_PATH=off"}, ""};
  const std::string report = dir.File("report-" + name);
  return {name,
          {"LD_PRELOAD=" + preload, "GRANULE_PRELOAD_PATH=" + name,
           "GRANULE_PRELOAD_REPORT=" + report},
          report};
}

// Every .go Guile ships, written one per line to `list`; their count.
absl::StatusOr<size_t> WriteCorpusList(const std::string& list) {
  std::vector<std::string> paths;
  FILE* find = popen(
      "find /usr/lib/*/guile/3.0/ccache -name '*.go' | LC_ALL=C sort", "r");
  if (find == nullptr) return absl::InternalError("popen find failed");
  char line[4096];
  while (fgets(line, sizeof line, find) != nullptr) {
    std::string path(line);
    if (!path.empty() && path.back() == '\n') path.pop_back();
    if (!path.empty()) paths.push_back(path);
  }
  pclose(find);
  if (paths.empty()) {
    return absl::NotFoundError(
        "no /usr/lib/*/guile/3.0/ccache/**.go: install guile-3.0-libs");
  }
  std::ofstream out(list);
  for (const std::string& path : paths) out << path << "\n";
  out.close();
  if (!out) return absl::InternalError("cannot write " + list);
  return paths.size();
}

// The preload's counts for a granule variant: it must have loaded images,
// all by the variant's path, and refused none.
absl::Status CheckReport(const Variant& variant) {
  if (variant.report.empty()) return absl::OkStatus();
  GRANULE_ASSIGN_OR_RETURN(PreloadCounts counts,
                           ReadPreloadReport(variant.report));
  const uint64_t on_path =
      variant.name == "shared" ? counts.shared : counts.malloc_path;
  std::cerr << absl::StrFormat(
      "guile_bench: %s: preload over %d processes: loaded=%d shared=%d "
      "malloc=%d refused=%d\n",
      variant.name, counts.processes, counts.loaded, counts.shared,
      counts.malloc_path, counts.refused);
  if (counts.loaded == 0 || on_path != counts.loaded || counts.refused != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        variant.report, ": granule did not load every image by the ",
        variant.name, " path (loaded ", counts.loaded, ", refused ",
        counts.refused, ")"));
  }
  return absl::OkStatus();
}

// A Guile run's figures: wall time, and the CPU time its process used.
struct Timing {
  double wall_ms = 0;
  double cpu_ms = 0;
};

absl::StatusOr<Timing> StartupTiming(const Variant& variant) {
  const double start = WallMs();
  GRANULE_ASSIGN_OR_RETURN(
      GuileProcess guile,
      GuileProcess::Start({"guile", "-c", ""}, variant.environment));
  GRANULE_RETURN_IF_ERROR(guile.Finish());
  return Timing{WallMs() - start, guile.cpu_ms()};
}

std::string StartupNote(const std::string& name, const char* clock) {
  return absl::StrFormat(
      "guile -c '', %s, median of %d alternated runs, %s", clock, kStartupRuns,
      name == "off" ? "the preload loaded but loading no image (its own cost)"
                    : "the preload on granule's " + name + " path");
}

// Median startup of plain Guile and of each of `others`, runs alternated so
// all see the same machine: wall time, and CPU time, which other load on a
// shared machine disturbs less. The first of `others` is held to the goal.
absl::Status Startup(const Variant& plain,
                     const std::vector<const Variant*>& others) {
  std::vector<std::vector<double>> wall(others.size() + 1);
  std::vector<std::vector<double>> cpu(others.size() + 1);
  for (int i = 0; i < kStartupRuns; ++i) {
    for (size_t v = 0; v <= others.size(); ++v) {
      GRANULE_ASSIGN_OR_RETURN(Timing run,
                               StartupTiming(v == 0 ? plain : *others[v - 1]));
      wall[v].push_back(run.wall_ms);
      cpu[v].push_back(run.cpu_ms);
    }
  }
  for (size_t v = 1; v <= others.size(); ++v) {
    const std::string& name = others[v - 1]->name;
    const std::optional<double> goal =
        v == 1 ? std::optional<double>(1.0) : std::nullopt;
    PrintRow(RatioRow(kRow, "guile_startup_" + name, Median(wall[v]),
                      Median(wall[0]), "ms", goal, "plain_guile",
                      StartupNote(name, "wall time")));
    PrintRow(RatioRow(kRow, "guile_startup_cpu_" + name, Median(cpu[v]),
                      Median(cpu[0]), "ms", goal, "plain_guile",
                      StartupNote(name, "CPU time (user+system)")));
  }
  return absl::OkStatus();
}

// One process's timed passes over the corpus, and its CPU time.
struct LoopRun {
  std::vector<double> pass_ms;
  double cpu_ms = 0;
};

absl::StatusOr<LoopRun> LoopProcess(const Variant& variant,
                                    const std::string& list) {
  GRANULE_ASSIGN_OR_RETURN(
      GuileProcess guile,
      GuileProcess::Start({"guile", "--no-auto-compile", kLoopScript, list,
                           absl::StrCat(kLoopPasses)},
                          variant.environment));
  std::vector<double> passes;
  for (absl::StatusOr<std::string> line = guile.ReadLine(); line.ok();
       line = guile.ReadLine()) {
    double ms;
    if (absl::StartsWith(*line, "pass_ms: ") &&
        absl::SimpleAtod(line->substr(9), &ms)) {
      passes.push_back(ms);
    } else {
      std::cerr << "guile_bench: " << variant.name << ": " << *line << "\n";
    }
  }
  GRANULE_RETURN_IF_ERROR(guile.Finish());
  if (passes.size() != kLoopPasses) {
    return absl::InternalError(absl::StrCat(variant.name, ": ", passes.size(),
                                            " load passes reported"));
  }
  return LoopRun{passes, guile.cpu_ms()};
}

// The load loop of every variant, processes alternated round by round: one
// Guile process's passes move with its garbage collector's heap, so a
// variant is judged over several processes, not one. Wall time: the median
// pass over all of them; CPU time: the median process.
absl::StatusOr<std::vector<Timing>> LoopTimings(
    const std::vector<const Variant*>& variants, const std::string& list) {
  std::vector<std::vector<double>> passes(variants.size()), cpu(variants.size());
  for (int round = 0; round < kLoopProcesses; ++round) {
    for (size_t v = 0; v < variants.size(); ++v) {
      GRANULE_ASSIGN_OR_RETURN(LoopRun run, LoopProcess(*variants[v], list));
      passes[v].insert(passes[v].end(), run.pass_ms.begin(), run.pass_ms.end());
      cpu[v].push_back(run.cpu_ms);
    }
  }
  std::vector<Timing> timings;
  for (size_t v = 0; v < variants.size(); ++v) {
    timings.push_back({Median(passes[v]), Median(cpu[v])});
  }
  return timings;
}

// Summed PSS, in MiB, of kProcesses Guile processes holding the corpus at
// once: all have loaded it before any PSS is read, since PSS divides a
// shared page among the processes mapping it now.
absl::StatusOr<double> HeldPssMib(const Variant& variant,
                                  const std::string& list) {
  std::vector<GuileProcess> guiles;
  for (int i = 0; i < kProcesses; ++i) {
    GRANULE_ASSIGN_OR_RETURN(
        GuileProcess guile,
        GuileProcess::Start({"guile", "--no-auto-compile", kHoldScript, list},
                            variant.environment));
    guiles.push_back(std::move(guile));
  }
  for (GuileProcess& guile : guiles) {
    absl::StatusOr<std::string> line = guile.ReadLine();
    if (!line.ok() || !absl::StartsWith(*line, "ready: ")) {
      return absl::InternalError(absl::StrCat(
          variant.name, ": guile ", guile.pid(), " did not load the corpus"));
    }
  }
  uint64_t total_kib = 0;
  for (GuileProcess& guile : guiles) {
    GRANULE_ASSIGN_OR_RETURN(uint64_t kib, ProcessPssKib(guile.pid()));
    total_kib += kib;
  }
  for (GuileProcess& guile : guiles) {
    GRANULE_RETURN_IF_ERROR(guile.Finish());
  }
  return total_kib / 1024.0;
}

int Fail(const absl::Status& status) {
  std::cerr << "guile_bench: " << status << "\n";
  return 1;
}

int Main() {
  if (system("command -v guile >/dev/null 2>&1") != 0) {
    return Fail(absl::NotFoundError("no guile on PATH: install guile-3.0"));
  }
  absl::StatusOr<TempDir> dir = TempDir::Create("guile_bench");
  if (!dir.ok()) return Fail(dir.status());
  const std::string list = dir->File("corpus.list");
  absl::StatusOr<size_t> files = WriteCorpusList(list);
  if (!files.ok()) return Fail(files.status());
  char resolved[4096];
  if (realpath(kPreload, resolved) == nullptr) {
    return Fail(absl::NotFoundError(absl::StrCat(
        kPreload, " not found: run from the runfiles (testing/bench/run.sh)")));
  }
  const Variant plain = MakeVariant("plain", resolved, *dir);
  const Variant shared = MakeVariant("shared", resolved, *dir);
  const Variant heap = MakeVariant("malloc", resolved, *dir);

  const Variant off = MakeVariant("off", resolved, *dir);
  absl::Status status = Startup(plain, {&shared, &heap, &off});
  if (!status.ok()) return Fail(status);
  absl::StatusOr<std::vector<Timing>> timings =
      LoopTimings({&plain, &shared, &heap}, list);
  if (!timings.ok()) return Fail(timings.status());
  const std::vector<Timing>& loop = *timings;
  for (int i : {1, 2}) {
    const Variant& variant = i == 1 ? shared : heap;
    const std::optional<double> goal =
        i == 1 ? std::optional<double>(1.0) : std::nullopt;
    PrintRow(RatioRow(
        kRow, "guile_load_loop_" + variant.name, loop[i].wall_ms,
        loop[0].wall_ms, "ms", goal, "plain_guile",
        absl::StrFormat("load-thunk-from-file over the %d .go files, median "
                        "of %d passes timed inside Guile (%d passes in each "
                        "of %d alternated processes), granule's %s path",
                        *files, kLoopPasses * kLoopProcesses, kLoopPasses,
                        kLoopProcesses, variant.name)));
    PrintRow(RatioRow(
        kRow, "guile_load_loop_cpu_" + variant.name, loop[i].cpu_ms,
        loop[0].cpu_ms, "ms", goal, "plain_guile",
        absl::StrFormat("CPU time (user+system) of the whole process, "
                        "median of %d: startup, a pass to find the loadable "
                        "files and %d timed passes over the %d .go files, "
                        "granule's %s path",
                        kLoopProcesses, kLoopPasses, *files, variant.name)));
  }
  std::vector<double> pss_mib;
  for (const Variant* variant : {&plain, &shared, &heap}) {
    absl::StatusOr<double> mib = HeldPssMib(*variant, list);
    if (!mib.ok()) return Fail(mib.status());
    pss_mib.push_back(*mib);
  }
  for (int i : {1, 2}) {
    const Variant& variant = i == 1 ? shared : heap;
    PrintRow(RatioRow(
        kRow, "guile_pss_" + variant.name, pss_mib[i], pss_mib[0], "MiB",
        i == 1 ? std::optional<double>(1.0) : std::nullopt, "plain_guile",
        absl::StrFormat("summed PSS of %d concurrent Guile processes holding "
                        "the %d .go files, granule's %s path",
                        kProcesses, *files, variant.name)));
  }
  for (const Variant* variant : {&shared, &heap}) {
    status = CheckReport(*variant);
    if (!status.ok()) return Fail(status);
  }
  return 0;
}

}  // namespace
}  // namespace granule::bench

int main() { return granule::bench::Main(); }
