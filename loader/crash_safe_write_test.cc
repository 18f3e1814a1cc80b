// SPDX-License-Identifier: Apache-2.0
// The writer under SIGKILL: a child process writes a new image over an old
// one and is killed at a random moment, again and again. Whatever the moment,
// the path must hold the old image or the new one, whole, never a mix or a
// part. POSIX only (fork and signals).
//
// A kill between mkostemp and rename leaves the child's temporary file,
// named "<target>.tmp.XXXXXX" (atomic_file_posix.cc): nothing can remove it
// after SIGKILL. Each one is proof that a kill landed mid-write; the test
// counts them and requires some.
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "loader/elf/elf_image.h"
#include "loader/writer/image_writer.h"
#include "loader/versioned_image_test_util.h"
#include "platform/file.h"
#include "testing/temp_file.h"

namespace granule {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Large enough that a write takes a while, small enough for 100 writes in a
// few seconds.
constexpr size_t kRodataSize = size_t{4} << 20;
constexpr int kKills = 100;
constexpr uint8_t kOldVersion = 1, kNewVersion = 2;

// In one read: byte by byte through istreambuf_iterator, 150 reads of 4 MiB
// take minutes in an unoptimized build.
std::vector<uint8_t> ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  std::vector<uint8_t> bytes(in ? static_cast<size_t>(in.tellg()) : 0);
  in.seekg(0);
  in.read(reinterpret_cast<char*>(bytes.data()), bytes.size());
  return bytes;
}

uint64_t SeedFromEnvironmentOrRandom() {
  if (const char* seed = std::getenv("GRANULE_CRASH_SEED")) {
    return std::strtoull(seed, nullptr, 10);
  }
  return (uint64_t{std::random_device{}()} << 32) | std::random_device{}();
}

// The child writes `spec` to `path` and exits: 0 when WriteImage succeeded.
pid_t StartWriter(const ImageSpec& spec, const std::string& path) {
  const pid_t pid = fork();
  if (pid == 0) _exit(WriteImage(spec, path).ok() ? 0 : 1);
  return pid;
}

// Empty when the child exited 0 or died of SIGKILL; else how it ended.
std::string WaitForWriter(pid_t pid) {
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return "waitpid failed";
  if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) return "";
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return "";
  return "writer ended with status " + std::to_string(status);
}

class CrashSafeWriteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = granule::testing::TempPath("crash-safe");
    ASSERT_TRUE(fs::create_directory(dir_));
    target_ = dir_ + "/image.go";
    pristine_ = dir_ + "/pristine-old.go";
    ASSERT_TRUE(WriteImage(old_spec_, pristine_).ok());
    old_bytes_ = ReadBytes(pristine_);
    absl::StatusOr<ImageBytes> built = BuildImage(new_spec_);
    ASSERT_TRUE(built.ok()) << built.status();
    new_bytes_ = built->Flatten();
    ASSERT_NE(old_bytes_, new_bytes_);
    RestoreOld();
  }

  // The old image back at the target, by a rename like the writer's own. A
  // copy, not a hard link: a writer that wrote in place would change both.
  void RestoreOld() {
    const std::string staged = dir_ + "/restoring";
    fs::copy_file(pristine_, staged, fs::copy_options::overwrite_existing);
    fs::rename(staged, target_);
  }

  // One uninterrupted write, timed from fork to exit.
  Clock::duration TimeOneWrite() {
    const Clock::time_point start = Clock::now();
    const pid_t pid = StartWriter(new_spec_, target_);
    EXPECT_EQ(WaitForWriter(pid), "");
    const Clock::duration elapsed = Clock::now() - start;
    EXPECT_EQ(ReadBytes(target_), new_bytes_);
    RestoreOld();
    return elapsed;
  }

  // The writer's temporary files in the directory, removed once counted.
  int RemoveStrayTemporaries() {
    int stray = 0;
    for (const fs::directory_entry& entry : fs::directory_iterator(dir_)) {
      const std::string name = entry.path().filename().string();
      if (name == "image.go" || name == "pristine-old.go") continue;
      EXPECT_TRUE(absl::StartsWith(name, "image.go.tmp.")) << name;
      fs::remove(entry.path());
      ++stray;
    }
    return stray;
  }

  // Old, new, or a failure naming what the path holds instead.
  enum class Seen { kOld, kNew, kNeither };
  Seen Inspect() {
    const std::vector<uint8_t> bytes = ReadBytes(target_);
    const Seen seen = bytes == old_bytes_   ? Seen::kOld
                      : bytes == new_bytes_ ? Seen::kNew
                                            : Seen::kNeither;
    EXPECT_NE(seen, Seen::kNeither)
        << target_ << " holds " << bytes.size()
        << " bytes, neither the old image (" << old_bytes_.size()
        << ") nor the new one (" << new_bytes_.size() << ")";
    absl::StatusOr<File> file = File::OpenForReading(target_);
    EXPECT_TRUE(file.ok()) << file.status();
    if (file.ok()) {
      absl::StatusOr<ElfImage> elf = ReadElfImage(*file);
      EXPECT_TRUE(elf.ok()) << elf.status();
    }
    return seen;
  }

  const ImageSpec old_spec_ =
      granule::testing::VersionedImageSpec(kOldVersion, kRodataSize);
  const ImageSpec new_spec_ =
      granule::testing::VersionedImageSpec(kNewVersion, kRodataSize);
  std::string dir_, target_, pristine_;
  std::vector<uint8_t> old_bytes_, new_bytes_;
};

TEST_F(CrashSafeWriteTest, KilledWriterLeavesTheOldImageOrTheNewOne) {
  const uint64_t seed = SeedFromEnvironmentOrRandom();
  std::cout << "seed " << seed << " (set GRANULE_CRASH_SEED to repeat)\n";
  std::mt19937_64 random(seed);

  // The median of three uninterrupted writes, from fork to exit, sets the
  // range of delays: the rename comes well before the exit, so delays up to
  // it land before, during and after the write.
  std::vector<Clock::duration> times;
  for (int i = 0; i < 3; ++i) times.push_back(TimeOneWrite());
  std::sort(times.begin(), times.end());
  const Clock::duration write_time = times[1];
  ASSERT_EQ(RemoveStrayTemporaries(), 0) << "an uninterrupted write left one";
  const auto range_us =
      std::chrono::duration_cast<std::chrono::microseconds>(write_time).count();
  std::uniform_int_distribution<int64_t> delay_us(0, range_us);

  int old_seen = 0, new_seen = 0, stray_temporaries = 0;
  for (int kill_number = 0; kill_number < kKills; ++kill_number) {
    const pid_t pid = StartWriter(new_spec_, target_);
    // kill(-1, ...) would signal every process this user may signal.
    ASSERT_GT(pid, 0) << "fork failed at kill " << kill_number;
    std::this_thread::sleep_for(std::chrono::microseconds(delay_us(random)));
    kill(pid, SIGKILL);  // Harmless if it has exited: not yet reaped.
    ASSERT_EQ(WaitForWriter(pid), "") << "kill " << kill_number;
    stray_temporaries += RemoveStrayTemporaries();
    const Seen seen = Inspect();
    ASSERT_NE(seen, Seen::kNeither) << "kill " << kill_number;
    if (seen == Seen::kOld) {
      ++old_seen;
    } else {
      ++new_seen;
      RestoreOld();
    }
  }
  std::cout << "uninterrupted write " << range_us << " us (median of 3)"
            << ", kills " << kKills << ", old seen " << old_seen
            << ", new seen " << new_seen << ", stray temporary files "
            << stray_temporaries << "\n";
  // Kills landed on both sides of the rename, and some inside the write.
  EXPECT_GT(old_seen, 0);
  EXPECT_GT(new_seen, 0);
  EXPECT_GT(stray_temporaries, 0);
}

}  // namespace
}  // namespace granule
