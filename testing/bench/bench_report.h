// What every row program of the benchmark suite shares: a clock, medians, and
// the one line format run.sh collects (docs/benchmarks.md, issue 6):
//
//   granule-bench: row=N name=NAME granule=G reference=R unit=U ratio=G/R
//     target=T met=yes|no|n/a reference_is=WHAT note=TEXT
//
// Benchmarks print figures; they never fail on speed.
#ifndef GRANULE_TESTING_BENCH_BENCH_REPORT_H_
#define GRANULE_TESTING_BENCH_BENCH_REPORT_H_

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

namespace granule::bench {

inline double NowMicros() {
  return std::chrono::duration<double, std::micro>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

inline double Median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t mid = values.size() / 2;
  return values.size() % 2 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

struct RowLine {
  int row;
  std::string name;
  double granule;
  double reference;
  std::string unit;
  // The ratio granule/reference must be at most this; nullopt: no target.
  std::optional<double> target_at_most;
  std::string reference_is;
  std::string note;
};

inline void PrintRow(const RowLine& line) {
  const double ratio = line.reference > 0 ? line.granule / line.reference : 0;
  std::string target = "none", met = "n/a";
  if (line.target_at_most) {
    char text[32];
    std::snprintf(text, sizeof text, "<=%g", *line.target_at_most);
    target = text;
    met = ratio <= *line.target_at_most ? "yes" : "no";
  }
  std::printf(
      "granule-bench: row=%d name=%s granule=%.3f reference=%.3f unit=%s "
      "ratio=%.3f target=%s met=%s reference_is=%s note=%s\n",
      line.row, line.name.c_str(), line.granule, line.reference,
      line.unit.c_str(), ratio, target.c_str(), met.c_str(),
      line.reference_is.c_str(), line.note.c_str());
  std::fflush(stdout);
}

// A scratch directory for generated images: $TMPDIR or /tmp.
inline std::string ScratchDir() {
  const char* dir = std::getenv("TMPDIR");
  return dir != nullptr && *dir != '\0' ? dir : "/tmp";
}

}  // namespace granule::bench

#endif  // GRANULE_TESTING_BENCH_BENCH_REPORT_H_
