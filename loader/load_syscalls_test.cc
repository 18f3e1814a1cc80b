// SPDX-License-Identifier: Apache-2.0
// How many system calls one load of a Guile image costs, counted by
// `strace -f -c` around testing/load_passes: the difference between a run of
// three passes over Debian's Guile 3.0 modules and a run of one, divided by
// two passes' files, so process start, the corpus search and the first
// pass's one-time work (the geometry query, the first arena region, a cold
// page cache) cancel out. The figure is printed, per call and in total, and
// held against a bound.
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"

namespace granule {
namespace {

constexpr char kProgram[] = "testing/load_passes";
constexpr size_t kMinimumCorpus = 300;

struct CallCounts {
  std::map<std::string, uint64_t> by_call;
  uint64_t total = 0;
  size_t files = 0;  // Per pass, as the program reported it.
};

// strace -c's table: "% time seconds usecs/call calls [errors] syscall".
// The calls column is the fourth either way; the name is the last.
void ParseStraceTable(const std::string& text, CallCounts& counts) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    std::vector<absl::string_view> words =
        absl::StrSplit(line, ' ', absl::SkipEmpty());
    uint64_t calls;
    if (words.size() < 5 || !absl::SimpleAtoi(words[3], &calls)) continue;
    const std::string name(words.back());
    if (name == "total") {
      counts.total = calls;
    } else {
      counts.by_call[name] = calls;
    }
  }
}

// Runs the program under strace for `passes` passes of `mode`.
CallCounts Count(int passes, const std::string& mode) {
  CallCounts counts;
  const std::string table =
      absl::StrFormat("%s/strace_%d_%s.txt", getenv("TEST_TMPDIR"), passes,
                      mode);
  const std::string command =
      absl::StrFormat("strace -f -c -o '%s' %s %d %s", table, kProgram,
                      passes, mode);
  FILE* out = popen(command.c_str(), "r");
  EXPECT_NE(out, nullptr) << command;
  if (out == nullptr) return counts;
  char line[64] = {};
  const bool read = fgets(line, sizeof line, out) != nullptr;
  const int status = pclose(out);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << command << " failed (status " << status
      << "); strace comes from Debian's package strace, which ./bazelw test "
         "installs";
  EXPECT_TRUE(read && absl::SimpleAtoi(absl::StripAsciiWhitespace(line),
                                       &counts.files))
      << command << " printed no file count";
  std::ifstream in(table);
  std::stringstream text;
  text << in.rdbuf();
  ParseStraceTable(text.str(), counts);
  EXPECT_GT(counts.total, 0u) << "no strace table in " << table;
  return counts;
}

// Calls per load in `mode`, printed per system call; -1 on failure.
double CallsPerLoad(const std::string& mode) {
  const CallCounts one = Count(1, mode);
  const CallCounts three = Count(3, mode);
  if (one.files < kMinimumCorpus || three.files != one.files) {
    ADD_FAILURE() << "found " << one.files << " Guile 3.0 modules, fewer than "
                  << kMinimumCorpus << ": install Debian's guile-3.0-libs";
    return -1;
  }
  const double loads = 2.0 * one.files;
  for (const auto& [name, calls] : three.by_call) {
    const auto before = one.by_call.find(name);
    const double extra =
        calls - (before == one.by_call.end() ? 0.0 : before->second);
    if (extra == 0) continue;
    std::printf("%s: %-12s %6.2f per load\n", mode.c_str(), name.c_str(),
                extra / loads);
  }
  const double per_load = (three.total - double(one.total)) / loads;
  std::printf("%s: %-12s %6.2f per load (%zu files a pass)\n", mode.c_str(),
              "total", per_load, one.files);
  return per_load;
}

TEST(LoadSyscallsTest, OneLoadPerCall) {
  const double per_load = CallsPerLoad("single");
  EXPECT_GT(per_load, 0);
  // Warm files: no read-ahead advice (LoadOptions::read_advice). No
  // reservation either: the file mapping is the region (one mmap where the
  // address below the last image is free, one munmap).
  EXPECT_LE(per_load, 10.0);
}

// A runtime that finds its sections in the mapped file itself (Guile) skips
// the section table: the two reads of the table and its names go, and
// `mode` without them makes at most `bound` calls a load.
void ExpectTheTableReadsGo(const std::string& mode, double bound) {
  const double with_table = CallsPerLoad(mode);
  const double per_load = CallsPerLoad(mode + "_no_sections");
  EXPECT_GT(per_load, 0);
  EXPECT_LE(per_load, with_table - 1.5);
  EXPECT_LE(per_load, bound);
}

// The floor's six, the first header read, and the dynamic table's read
// where it lies past the first 4 KiB.
TEST(LoadSyscallsTest, WithoutTheSectionTable) {
  ExpectTheTableReadsGo("single", 8.0);
}

TEST(LoadSyscallsTest, OneArenaForAllLoads) {
  const double per_load = CallsPerLoad("arena");
  EXPECT_GT(per_load, 0);
  // No reservation per load: the slot is carved, and returned to reserved by
  // one mapping call instead of unmapped.
  EXPECT_LE(per_load, 10.0);
}

TEST(LoadSyscallsTest, ArenaWithoutTheSectionTable) {
  ExpectTheTableReadsGo("arena", 8.5);
}

TEST(LoadSyscallsTest, BatchOfTheWholeCorpus) {
  const double per_load = CallsPerLoad("batch");
  EXPECT_GT(per_load, 0);
  EXPECT_LE(per_load, 10.0);
}

}  // namespace
}  // namespace granule
