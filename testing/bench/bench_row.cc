// SPDX-License-Identifier: Apache-2.0
#include "testing/bench/bench_row.h"

#include <stdlib.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <utility>

#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"

namespace granule::bench {
namespace {

std::string NoSpaces(const std::string& text) {
  return absl::StrReplaceAll(text.empty() ? "none" : text,
                             {{" ", "_"}, {"\t", "_"}, {"\n", "_"}});
}

double ClockMs(clockid_t clock) {
  timespec t;
  clock_gettime(clock, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

}  // namespace

BenchRow RatioRow(int row, std::string name, double granule, double reference,
                  std::string unit, std::optional<double> at_most,
                  std::string reference_is, std::string note) {
  BenchRow line{row,          std::move(name),         granule,
                reference,    std::move(unit),         "none",
                std::nullopt, std::move(reference_is), std::move(note)};
  if (at_most.has_value()) {
    line.target = absl::StrFormat("<=%g", *at_most);
    line.met = reference != 0 && granule / reference <= *at_most;
  }
  return line;
}

std::string FormatRow(const BenchRow& row) {
  const double ratio = row.reference != 0 ? row.granule / row.reference : 0;
  const char* met = !row.met.has_value() ? "n/a" : *row.met ? "yes" : "no";
  return absl::StrFormat(
      "granule-bench: row=%d name=%s granule=%.6g reference=%.6g unit=%s "
      "ratio=%.3f target=%s met=%s reference_is=%s note=%s",
      row.row, NoSpaces(row.name), row.granule, row.reference,
      NoSpaces(row.unit), ratio, NoSpaces(row.target), met,
      NoSpaces(row.reference_is), absl::StrReplaceAll(row.note, {{"\n", " "}}));
}

void PrintRow(const BenchRow& row) { std::cout << FormatRow(row) << std::endl; }

double Median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

double WallMs() { return ClockMs(CLOCK_MONOTONIC); }
double CpuMs() { return ClockMs(CLOCK_PROCESS_CPUTIME_ID); }

std::string ScratchDir() {
  const char* tmp = getenv("TMPDIR");
  return tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
}

absl::StatusOr<TempDir> TempDir::Create(const std::string& prefix) {
  std::string pattern = absl::StrFormat("%s/%s.XXXXXX", ScratchDir(), prefix);
  if (mkdtemp(pattern.data()) == nullptr) {
    return absl::InternalError(
        absl::StrFormat("mkdtemp %s: %s (set TMPDIR to a writable directory)",
                        pattern, strerror(errno)));
  }
  return TempDir(pattern);
}

TempDir::TempDir(TempDir&& other) noexcept : path_(std::move(other.path_)) {
  other.path_.clear();
}

TempDir::~TempDir() {
  if (path_.empty()) return;
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string TempDir::File(const std::string& name) const {
  return path_ + "/" + name;
}

}  // namespace granule::bench
