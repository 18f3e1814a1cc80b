// SPDX-License-Identifier: Apache-2.0
// What the image cache must refuse or rebuild: tampered entries, changed
// sources, directories and entries others can write or own, a cache it
// cannot write to, a write that fails half way; and many processes filling
// one entry at once.
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loader/image_cache.h"
#include "loader/image_cache_test_util.h"
#include "loader/loaded_image.h"
#include "testing/raw_elf.h"
#include "testing/temp_file.h"

// In the helpers' namespace, so they need no using-declarations.
namespace granule::cache_testing {
namespace {

using ::testing::HasSubstr;
using granule::testing::RawElf;
using granule::testing::RawRelocations;

TEST(ImageCacheTest, TamperedEntriesAreRebuiltNeverTrusted) {
  const std::string path = WriteRaw(PackedImage(0x1000));
  const std::string dir = FreshDirectory();
  EXPECT_THAT(LoadReason(path, dir), HasSubstr("(built)"));
  const std::string entry = dir + "/" + Entries(dir).at(0);
  struct stat st;
  ASSERT_EQ(stat(entry.c_str(), &st), 0);

  // A trailer that names another source.
  Overwrite(entry, st.st_size - 8 * 9, {0xff, 0xff});
  const std::string rebuilt = LoadReason(path, dir);
  EXPECT_THAT(rebuilt, HasSubstr("(rebuilt)"));
  EXPECT_THAT(rebuilt, HasSubstr("; the old entry was refused: "));
  EXPECT_THAT(LoadReason(path, dir), HasSubstr("(reused)"));

  // Another image's entry put in this one's place.
  const std::string other = WriteRaw(PackedImage(0x1000, 0x2000));
  const std::string other_dir = FreshDirectory();
  EXPECT_THAT(LoadReason(other, other_dir), HasSubstr("(built)"));
  ASSERT_EQ(rename((other_dir + "/" + Entries(other_dir).at(0)).c_str(),
                   entry.c_str()),
            0);
  EXPECT_THAT(LoadReason(path, dir),
              HasSubstr("its trailer is not this source's"));

  // An entry whose image bytes were changed after its trailer: segments
  // that are not the source's.
  ASSERT_EQ(stat(entry.c_str(), &st), 0);
  RawElf elf = PackedImage(0x1000);
  const uint64_t memsz_field = elf.phoff() + elf.variant.sizes().phdr + 40;
  Overwrite(entry, memsz_field, {0x00, 0x20});
  EXPECT_THAT(LoadReason(path, dir),
              HasSubstr("its segments are not the source's"));
}

TEST(ImageCacheTest, SourceChangesMakeANewEntryOrFailTheContentCheck) {
  const std::string path = WriteRaw(PackedImage(0x1000));
  const std::string dir = FreshDirectory();
  EXPECT_THAT(LoadReason(path, dir), HasSubstr("(built)"));
  struct stat before;
  ASSERT_EQ(stat(path.c_str(), &before), 0);

  // Rewritten in place, size and mtime put back: the identity is the same,
  // so only the content check can tell.
  Overwrite(path, 0x1000 + 0x40, {0xde, 0xad});
  const struct timespec times[2] = {before.st_atim, before.st_mtim};
  ASSERT_EQ(utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
  EXPECT_THAT(LoadReason(path, dir, ImageCacheOptions::Verify::kContent),
              HasSubstr("the source's content hash differs"));
  EXPECT_THAT(LoadReason(path, dir, ImageCacheOptions::Verify::kContent),
              HasSubstr("(reused)"));

  // Rewritten with a new mtime: a new key, so a new entry.
  Overwrite(path, 0x1000 + 0x40, {0xbe, 0xef});
  const struct timespec later[2] = {before.st_atim,
                                    {before.st_mtim.tv_sec + 5, 0}};
  ASSERT_EQ(utimensat(AT_FDCWD, path.c_str(), later, 0), 0);
  EXPECT_THAT(LoadReason(path, dir), HasSubstr("(built)"));
  EXPECT_EQ(Entries(dir).size(), 2u);
}

TEST(ImageCacheTest, DirectoriesOthersCanWriteAreRefused) {
  const std::string path = WriteRaw(PackedImage(0x1000));
  const std::string open_dir = FreshDirectory();
  ASSERT_EQ(chmod(open_dir.c_str(), 0777), 0);
  EXPECT_THAT(LoadReason(path, open_dir),
              HasSubstr("refused: mode 0777 lets group or others write it"));
  EXPECT_TRUE(Entries(open_dir).empty());

  const std::string group_dir = FreshDirectory();
  ASSERT_EQ(chmod(group_dir.c_str(), 0775), 0);
  EXPECT_THAT(LoadReason(path, group_dir), HasSubstr("mode 0775"));

  // The sticky bit keeps others from replacing this user's entries.
  const std::string sticky = FreshDirectory();
  ASSERT_EQ(chmod(sticky.c_str(), 01777), 0);
  EXPECT_THAT(LoadReason(path, sticky), HasSubstr("(built)"));

  // A parent others may rename things in.
  const std::string parent = FreshDirectory();
  ASSERT_EQ(chmod(parent.c_str(), 0777), 0);
  EXPECT_THAT(LoadReason(path, parent + "/granule"),
              HasSubstr("its parent " ));

  // Missing directories are made 0755.
  const std::string made = FreshDirectory() + "/a/b";
  EXPECT_THAT(LoadReason(path, made), HasSubstr("(built)"));
  struct stat st;
  ASSERT_EQ(stat(made.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);

  const std::string not_dir = granule::testing::TempPath("plain");
  std::ofstream(not_dir) << "x";
  EXPECT_THAT(LoadReason(path, not_dir), HasSubstr("not a directory"));
}

TEST(ImageCacheTest, DirectoriesAndEntriesOfOtherUsersAreRefused) {
  if (geteuid() != 0) {
    GTEST_SKIP() << "giving a directory to another user needs root";
  }
  const std::string path = WriteRaw(PackedImage(0x1000));
  const std::string theirs = FreshDirectory();
  ASSERT_EQ(chown(theirs.c_str(), 4242, 4242), 0);
  EXPECT_THAT(LoadReason(path, theirs), HasSubstr("owned by uid 4242"));
  EXPECT_TRUE(Entries(theirs).empty());

  const std::string dir = FreshDirectory();
  EXPECT_THAT(LoadReason(path, dir), HasSubstr("(built)"));
  const std::string entry = dir + "/" + Entries(dir).at(0);
  ASSERT_EQ(chown(entry.c_str(), 4242, 4242), 0);
  EXPECT_THAT(LoadReason(path, dir), HasSubstr("uid 4242"));
  struct stat st;
  ASSERT_EQ(stat(entry.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, geteuid());  // Rebuilt as this user's.
  ASSERT_EQ(chmod(entry.c_str(), 0666), 0);
  EXPECT_THAT(LoadReason(path, dir), HasSubstr("mode 0666"));
}

// True when this process can create a file in `dir` (root can in a 0555
// directory).
bool CanCreateIn(const std::string& dir) {
  const std::string probe = dir + "/probe";
  const int fd = open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) return false;
  close(fd);
  unlink(probe.c_str());
  return true;
}

TEST(ImageCacheTest, AReadOnlyCacheFallsBackToTheLoadWithoutIt) {
  const std::string path = WriteRaw(PackedImage(0x1000));
  const std::string dir = FreshDirectory();
  ASSERT_EQ(chmod(dir.c_str(), 0555), 0);
  const std::string reason = LoadReason(path, dir);
  if (CanCreateIn(dir)) {
    // Root writes through the mode bits; the entry is then built.
    EXPECT_THAT(reason, HasSubstr("(built)"))
        << "a 0555 directory stays writable for root, so the read-only "
           "fallback is checked by the non-root run and the file-size-limit "
           "test below";
  } else {
    EXPECT_THAT(reason, HasSubstr("the image cache was not used: "));
    EXPECT_THAT(reason, HasSubstr("mkostemp"));
    EXPECT_TRUE(Entries(dir).empty());
  }
  chmod(dir.c_str(), 0755);
}

// A write that fails part way, as on a full disk: RLIMIT_FSIZE makes the
// writer's pwrite fail with EFBIG after a few bytes, whoever runs it.
TEST(ImageCacheTest, AFailedWriteFallsBackAndLeavesNothing) {
  const std::string path = WriteRaw(PackedImage(0x1000));
  const std::vector<uint8_t> reference = HeapBytes(path);
  const std::string dir = FreshDirectory();
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    signal(SIGXFSZ, SIG_IGN);
    const struct rlimit limit = {0x800, 0x800};
    if (setrlimit(RLIMIT_FSIZE, &limit) != 0) _exit(10);
    const std::unique_ptr<SimulatedBackend> machine =
        SimulatedMachineNamed("linux-ppc64le");
    absl::StatusOr<std::unique_ptr<LoadedImage>> image =
        Load(path, machine.get(), dir);
    if (!image.ok()) _exit(11);
    if ((*image)->verdict().shared_whole()) _exit(12);
    if ((*image)->reason().find("the image cache was not used: ") ==
            std::string::npos ||
        (*image)->reason().find("pwrite") == std::string::npos) {
      _exit(13);
    }
    _exit(LoadedBytes(**image) == reference ? 0 : 14);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0)
      << "10 setrlimit, 11 load failed, 12 mapped whole, 13 reason, 14 bytes";
  EXPECT_TRUE(Entries(dir).empty());
}

// Many processes, started together, fill one empty entry: each maps a
// correct image, and one entry with no temporary file is left.
TEST(ImageCacheTest, ManyProcessesFillingOneEntryAllGetTheImage) {
  constexpr int kProcesses = 16;
  const std::string path = WriteRaw(PackedImage(0x1000));
  const std::vector<uint8_t> reference = HeapBytes(path);
  for (int round = 0; round < 3; ++round) {
    const std::string dir = FreshDirectory();
    int gate[2];
    ASSERT_EQ(pipe(gate), 0);
    std::vector<pid_t> children;
    for (int i = 0; i < kProcesses; ++i) {
      const pid_t pid = fork();
      ASSERT_GE(pid, 0);
      if (pid == 0) {
        close(gate[1]);
        char byte;
        while (read(gate[0], &byte, 1) > 0) {
        }
        const std::unique_ptr<SimulatedBackend> machine =
            SimulatedMachineNamed("linux-ppc64le");
        absl::StatusOr<std::unique_ptr<LoadedImage>> image =
            Load(path, machine.get(), dir);
        if (!image.ok() || !(*image)->verdict().shared_whole()) _exit(1);
        _exit(LoadedBytes(**image) == reference ? 0 : 2);
      }
      children.push_back(pid);
    }
    close(gate[0]);
    close(gate[1]);  // Lets them all go at once.
    for (pid_t pid : children) {
      int status = 0;
      ASSERT_EQ(waitpid(pid, &status, 0), pid);
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
          << "child " << pid << " status " << status;
    }
    EXPECT_EQ(Entries(dir).size(), 1u) << ::testing::PrintToString(Entries(dir));
  }
}

// On this machine: p_align 1 KiB, smaller than any page, is refused by the
// shared path; the cached copy, with p_align raised, is mapped by the host.

}  // namespace
}  // namespace granule::cache_testing
