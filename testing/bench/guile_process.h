// SPDX-License-Identifier: Apache-2.0
// Guile processes for guile_bench: started with an environment of their own
// (the preload's variables, or none), their standard output read line by
// line, their standard input held open until the caller lets them go.
#ifndef GRANULE_TESTING_BENCH_GUILE_PROCESS_H_
#define GRANULE_TESTING_BENCH_GUILE_PROCESS_H_

#include <sys/types.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace granule::bench {

// A child process: its stdout readable through `out`, its stdin writable
// through `in` (closing it is the signal holding scripts wait for).
class GuileProcess {
 public:
  // Starts `argv` (argv[0] looked up on PATH) with this process's
  // environment plus `environment` ("NAME=VALUE", overriding). Its stderr is
  // this process's.
  static absl::StatusOr<GuileProcess> Start(
      const std::vector<std::string>& argv,
      const std::vector<std::string>& environment);
  GuileProcess(GuileProcess&& other) noexcept;
  GuileProcess(const GuileProcess&) = delete;
  GuileProcess& operator=(const GuileProcess&) = delete;
  GuileProcess& operator=(GuileProcess&&) = delete;
  ~GuileProcess();  // Lets it go and waits for it, if not done yet.

  pid_t pid() const { return pid_; }
  // The next line of its stdout without the newline; NotFound at its end.
  absl::StatusOr<std::string> ReadLine();
  // Closes its stdin and waits; an error unless it exited with status 0.
  absl::Status Finish();
  // The CPU time (user and system) it used, known after Finish. On a
  // shared machine this is steadier than wall time.
  double cpu_ms() const { return cpu_ms_; }

 private:
  GuileProcess(pid_t pid, FILE* out, int in) : pid_(pid), out_(out), in_(in) {}
  pid_t pid_;
  FILE* out_;
  int in_;
  double cpu_ms_ = 0;
  std::string command_;
};

// The process's "Pss:" from /proc/PID/smaps_rollup, in KiB.
absl::StatusOr<uint64_t> ProcessPssKib(pid_t pid);

// The counts of every "granule-preload:" line in `path` (one per process
// that ran with the preload), summed.
struct PreloadCounts {
  int processes = 0;
  uint64_t loaded = 0, shared = 0, malloc_path = 0, refused = 0;
};
absl::StatusOr<PreloadCounts> ReadPreloadReport(const std::string& path);

}  // namespace granule::bench

#endif  // GRANULE_TESTING_BENCH_GUILE_PROCESS_H_
