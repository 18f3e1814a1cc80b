// SPDX-License-Identifier: Apache-2.0
// The row contract every benchmark program follows (docs/benchmarks.md): one
// stdout line per measured figure, "granule-bench: row=... name=... ...",
// which testing/bench/run.sh collects into the table. Everything else goes to
// stderr.
#ifndef GRANULE_TESTING_BENCH_BENCH_ROW_H_
#define GRANULE_TESTING_BENCH_BENCH_ROW_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace granule::bench {

struct BenchRow {
  int row = 0;               // Sort key: the program's place in the table.
  std::string name;          // Short, no spaces.
  double granule = 0;        // granule's figure,
  double reference = 0;      // and what it is held against, in `unit`.
  std::string unit;          // ms, us, MiB, KiB, pages or blocks.
  std::string target;        // "<=1.2", "==0" or "none"; no spaces.
  std::optional<bool> met;   // Empty: n/a.
  std::string reference_is;  // No spaces.
  std::string note;          // Free text, one line.
};

// A row held to "ratio at most `at_most`" (target "<=X", met decided from
// the figures), or to no target when `at_most` is empty.
BenchRow RatioRow(int row, std::string name, double granule, double reference,
                  std::string unit, std::optional<double> at_most,
                  std::string reference_is, std::string note);

// The line, without a newline. Spaces in the no-space fields become '_'.
std::string FormatRow(const BenchRow& row);
void PrintRow(const BenchRow& row);  // On stdout, flushed.

double Median(std::vector<double> values);  // 0 for none.
double WallMs();                            // Monotonic clock.
double CpuMs();  // This process's CPU time, user and system.

std::string ScratchDir();  // $TMPDIR, else /tmp.

// A fresh directory under $TMPDIR (else /tmp), removed with its files by the
// destructor.
class TempDir {
 public:
  static absl::StatusOr<TempDir> Create(const std::string& prefix);
  TempDir(TempDir&& other) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  TempDir& operator=(TempDir&&) = delete;
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const;

 private:
  explicit TempDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

}  // namespace granule::bench

#endif  // GRANULE_TESTING_BENCH_BENCH_ROW_H_
