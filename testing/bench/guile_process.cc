// SPDX-License-Identifier: Apache-2.0
#include "testing/bench/guile_process.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

extern char** environ;

namespace granule::bench {
namespace {

// This process's environment with `overrides` applied.
std::vector<std::string> MergedEnvironment(
    const std::vector<std::string>& overrides) {
  std::map<std::string, std::string> merged;
  auto add = [&](const std::string& entry) {
    merged[entry.substr(0, entry.find('='))] = entry;
  };
  for (char** e = environ; *e != nullptr; ++e) add(*e);
  for (const std::string& entry : overrides) add(entry);
  std::vector<std::string> result;
  for (const auto& [name, entry] : merged) result.push_back(entry);
  return result;
}

std::vector<char*> Pointers(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (std::string& s : strings) pointers.push_back(s.data());
  pointers.push_back(nullptr);
  return pointers;
}

}  // namespace

absl::StatusOr<GuileProcess> GuileProcess::Start(
    const std::vector<std::string>& argv,
    const std::vector<std::string>& environment) {
  int out[2], in[2];
  if (pipe2(out, O_CLOEXEC) != 0) return absl::InternalError("pipe2 failed");
  if (pipe2(in, O_CLOEXEC) != 0) {
    close(out[0]);
    close(out[1]);
    return absl::InternalError("pipe2 failed");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  std::vector<std::string> args = argv;
  std::vector<std::string> env = MergedEnvironment(environment);
  pid_t pid = -1;
  const int error = posix_spawnp(&pid, args[0].c_str(), &actions, nullptr,
                                 Pointers(args).data(), Pointers(env).data());
  posix_spawn_file_actions_destroy(&actions);
  close(in[0]);
  close(out[1]);
  if (error != 0) {
    close(in[1]);
    close(out[0]);
    return absl::InternalError(
        absl::StrCat("posix_spawnp ", args[0], ": ", strerror(error)));
  }
  GuileProcess process(pid, fdopen(out[0], "r"), in[1]);
  process.command_ = absl::StrJoin(argv, " ");
  return process;
}

GuileProcess::GuileProcess(GuileProcess&& other) noexcept
    : pid_(other.pid_),
      out_(other.out_),
      in_(other.in_),
      cpu_ms_(other.cpu_ms_),
      command_(std::move(other.command_)) {
  other.pid_ = -1;
  other.out_ = nullptr;
  other.in_ = -1;
}

GuileProcess::~GuileProcess() {
  if (pid_ > 0) (void)Finish();
}

absl::StatusOr<std::string> GuileProcess::ReadLine() {
  char line[4096];
  if (out_ == nullptr || fgets(line, sizeof line, out_) == nullptr) {
    return absl::NotFoundError(command_ + ": no more output");
  }
  std::string text(line);
  if (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

absl::Status GuileProcess::Finish() {
  if (in_ >= 0) close(in_);
  in_ = -1;
  if (out_ != nullptr) {
    char sink[4096];
    while (fread(sink, 1, sizeof sink, out_) > 0) {
    }
    fclose(out_);
    out_ = nullptr;
  }
  int status = 0;
  const pid_t pid = pid_;
  pid_ = -1;
  rusage usage{};
  if (pid <= 0 || wait4(pid, &status, 0, &usage) != pid) {
    return absl::InternalError(command_ + ": wait4 failed");
  }
  cpu_ms_ = (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e3 +
            (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e3;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::InternalError(
        absl::StrCat(command_, ": ended with wait status ", status));
  }
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> ProcessPssKib(pid_t pid) {
  const std::string path = absl::StrCat("/proc/", pid, "/smaps_rollup");
  std::ifstream rollup(path);
  std::string line;
  while (std::getline(rollup, line)) {
    if (!absl::StartsWith(line, "Pss:")) continue;
    uint64_t kib;
    std::istringstream fields(line.substr(4));
    if (fields >> kib) return kib;
    return absl::DataLossError(absl::StrCat(path, ": bad line \"", line, "\""));
  }
  return absl::NotFoundError(path + ": no Pss: line");
}

absl::StatusOr<PreloadCounts> ReadPreloadReport(const std::string& path) {
  std::ifstream report(path);
  if (!report) return absl::NotFoundError(path + ": no preload report");
  PreloadCounts counts;
  std::string line;
  while (std::getline(report, line)) {
    if (!absl::StartsWith(line, "granule-preload: ")) continue;
    ++counts.processes;
    for (absl::string_view field : absl::StrSplit(line, ' ')) {
      std::pair<std::string, std::string> kv = absl::StrSplit(field, '=');
      uint64_t value = 0;
      if (!absl::SimpleAtoi(kv.second, &value)) continue;
      if (kv.first == "loaded") counts.loaded += value;
      if (kv.first == "shared") counts.shared += value;
      if (kv.first == "malloc") counts.malloc_path += value;
      if (kv.first == "refused") counts.refused += value;
    }
  }
  return counts;
}

}  // namespace granule::bench
