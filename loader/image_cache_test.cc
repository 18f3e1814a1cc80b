// SPDX-License-Identifier: Apache-2.0
// The image cache (loader/image_cache.h) through LoadOptions::cache: an
// image with 4 KiB p_align whose writable segment is packed right after the
// read-only one on disk, but 64 KiB away in memory, loaded on simulated 16
// and 64 KiB machines (and, with 1 KiB p_align, on this machine): refused by
// the shared path as a whole as it is, mapped whole from the cached copy, with the
// same bytes as a heap copy of the source. Also what the cache must refuse
// or rebuild, and many processes filling one entry at once.
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <dirent.h>

#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loader/image_cache.h"
#include "loader/loaded_image.h"
#include "loader/elf/relocation_types.h"
#include "platform/memory/simulated_machines.h"
#include "testing/raw_elf.h"
#include "testing/temp_file.h"

namespace granule {
namespace {

using ::testing::HasSubstr;
using granule::testing::RawElf;
using granule::testing::RawRelocations;
using Choice = LoadOptions::PathChoice;

constexpr uint64_t kBase = 0x10000000;

// RelocatedImage (R [0, 0x1000), RW at 0x10000) with the RW segment's file
// bytes moved to offset 0x1000 and every p_align set to `align`: offsets
// congruent to addresses only modulo `align`.
RawElf PackedImage(uint64_t align, uint64_t rw_offset = 0x1000) {
  RawElf elf = granule::testing::RelocatedImage(
      ElfVariant{}, RawRelocations::kRela, elf::kMachineNone,
      kGranuleRelative);
  const std::vector<uint8_t> pattern = granule::testing::PatternBytes(0x100, 7);
  elf.Put(0x100, pattern);  // .rodata.
  std::vector<uint8_t> data(elf.body.begin() + 0x10000,
                            elf.body.begin() + 0x11000);
  std::copy(pattern.begin(), pattern.end(), data.begin() + 0x40);
  elf.body.resize(rw_offset);
  elf.body.insert(elf.body.end(), data.begin(), data.end());
  elf.segments[1].offset = rw_offset;
  elf.segments[1].vaddr += rw_offset & (align - 1) & 0xfff;
  for (Segment& s : elf.segments) {
    if (s.is_load()) s.align = align;
  }
  for (auto& section : elf.sections) {
    if (section.name == ".data") section.offset = rw_offset;
  }
  return elf;
}

std::string WriteRaw(const RawElf& elf) {
  absl::StatusOr<std::string> path =
      granule::testing::WriteTempFile("packed", elf.Encode());
  EXPECT_TRUE(path.ok()) << path.status();
  return path.value_or("");
}

std::string FreshDirectory() {
  const std::string dir = granule::testing::TempPath("cache");
  EXPECT_EQ(mkdir(dir.c_str(), 0755), 0) << dir;
  return dir;
}

std::vector<std::string> Entries(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return names;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] != '.') names.push_back(e->d_name);
  }
  closedir(d);
  return names;
}

std::unique_ptr<SimulatedBackend> SimulatedMachineNamed(const char* name) {
  const SimulatedMachine* machine = FindSimulatedMachine(name);
  EXPECT_NE(machine, nullptr) << name;
  return MakeSimulatedBackend(*machine);
}

absl::StatusOr<std::unique_ptr<LoadedImage>> Load(const std::string& path,
                                                  MemoryBackend* machine,
                                                  const std::string& cache,
                                                  Choice choice = Choice::kAuto) {
  LoadOptions options;
  options.shared_backend = machine;
  options.path = choice;
  options.relocation_base = kBase;
  options.cache.directory = cache;
  return LoadImage(path, options);
}

// Every loaded byte of each segment, except the program headers (whose
// p_offset and p_align the cache rewrites).
std::vector<uint8_t> LoadedBytes(const LoadedImage& image) {
  std::vector<uint8_t> bytes;
  for (const LoadedImage::LoadedSegment& s : image.segments()) {
    bytes.insert(bytes.end(), s.data, s.data + s.size);
  }
  const uint64_t phdrs_end =
      image.elf().variant.sizes().ehdr +
      image.elf().segments.size() * image.elf().variant.sizes().phdr;
  std::fill(bytes.begin(), bytes.begin() + phdrs_end, 0);
  return bytes;
}

std::vector<uint8_t> HeapBytes(const std::string& path) {
  absl::StatusOr<std::unique_ptr<LoadedImage>> heap =
      Load(path, nullptr, "", Choice::kMalloc);
  EXPECT_TRUE(heap.ok()) << heap.status();
  return heap.ok() ? LoadedBytes(**heap) : std::vector<uint8_t>{};
}

TEST(ImageCacheTest, RelayOutMakesOffsetsCongruentAndKeepsAddresses) {
  const std::string path = WriteRaw(PackedImage(0x1000));
  absl::StatusOr<File> file = File::OpenForReading(path);
  ASSERT_TRUE(file.ok()) << file.status();
  absl::StatusOr<ElfImage> elf = ReadElfImage(*file);
  ASSERT_TRUE(elf.ok()) << elf.status();
  std::vector<uint8_t> bytes(file->size());
  ASSERT_TRUE(file->ReadAt(0, absl::MakeSpan(bytes)).ok());
  absl::StatusOr<ImageBytes> relaid = RelayOutImage(*elf, bytes, 0x10000);
  ASSERT_TRUE(relaid.ok()) << relaid.status();
  const std::vector<uint8_t> flat = relaid->Flatten();
  const File memory = File::OverMemory("relaid", flat.data(), flat.size());
  absl::StatusOr<ElfImage> out = ReadElfImage(memory);
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_EQ(out->LoadSegments().size(), elf->LoadSegments().size());
  for (size_t i = 0; i < elf->LoadSegments().size(); ++i) {
    const Segment& a = *elf->LoadSegments()[i];
    const Segment& b = *out->LoadSegments()[i];
    EXPECT_EQ(b.vaddr, a.vaddr);
    EXPECT_EQ(b.filesz, a.filesz);
    EXPECT_EQ(b.offset % 0x10000, b.vaddr % 0x10000) << "segment " << i;
    EXPECT_EQ(b.align, 0x10000u);
    EXPECT_TRUE(std::equal(bytes.begin() + a.offset,
                           bytes.begin() + a.offset + a.filesz,
                           flat.begin() + b.offset) ||
                a.offset == 0)
        << "segment " << i;
  }
  const Section* data = out->FindSection(".data");
  ASSERT_NE(data, nullptr);
  EXPECT_EQ(data->offset, out->LoadSegments()[1]->offset);
  // The moved segment leaves a hole, not written zeros.
  EXPECT_GE(relaid->extents.size(), 2u);
}

TEST(ImageCacheTest, RefusedImagesMapSharedFromTheCachedCopy) {
  const std::string path = WriteRaw(PackedImage(0x1000));
  const std::vector<uint8_t> reference = HeapBytes(path);
  for (const char* name : {"linux-arm64-16k", "linux-ppc64le"}) {
    SCOPED_TRACE(name);
    const std::unique_ptr<SimulatedBackend> machine =
        SimulatedMachineNamed(name);
    absl::StatusOr<std::unique_ptr<LoadedImage>> plain =
        Load(path, machine.get(), "");
    ASSERT_TRUE(plain.ok()) << plain.status();
    EXPECT_FALSE((*plain)->verdict().shared_whole()) << (*plain)->reason();

    const std::string dir = FreshDirectory();
    for (const char* outcome : {"(built)", "(reused)"}) {
      absl::StatusOr<std::unique_ptr<LoadedImage>> cached =
          Load(path, machine.get(), dir);
      ASSERT_TRUE(cached.ok()) << cached.status();
      EXPECT_TRUE((*cached)->verdict().shared_whole()) << (*cached)->reason();
      EXPECT_THAT((*cached)->reason(), HasSubstr(outcome));
      EXPECT_EQ((*cached)->elf().path, path);
      EXPECT_EQ(LoadedBytes(**cached), reference);
    }
    const std::vector<std::string> entries = Entries(dir);
    ASSERT_EQ(entries.size(), 1u);
    struct stat st;
    ASSERT_EQ(stat((dir + "/" + entries[0]).c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0644u);
  }
}

TEST(ImageCacheTest, EntriesTakeTheModeTheCallerAsks) {
  const std::string path = WriteRaw(PackedImage(0x1000));
  const std::unique_ptr<SimulatedBackend> machine =
      SimulatedMachineNamed("linux-ppc64le");
  const std::string dir = FreshDirectory();
  LoadOptions options;
  options.shared_backend = machine.get();
  options.cache.directory = dir;
  options.cache.file_mode = 0600;
  absl::StatusOr<std::unique_ptr<LoadedImage>> image =
      LoadImage(path, options);
  ASSERT_TRUE(image.ok()) << image.status();
  const std::vector<std::string> entries = Entries(dir);
  ASSERT_EQ(entries.size(), 1u);
  struct stat st;
  ASSERT_EQ(stat((dir + "/" + entries[0]).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
}

TEST(ImageCacheTest, SegmentsSharingAPageFallBackWithTheReason) {
  // R at 0 and RW at 0x10000 share one 256 KiB page at their addresses: no
  // file layout can give them two protections there.
  const std::string path = WriteRaw(PackedImage(0x1000));
  const std::unique_ptr<SimulatedBackend> machine =
      SimulatedMachineNamed("hypothetical-256k");
  const std::string dir = FreshDirectory();
  absl::StatusOr<std::unique_ptr<LoadedImage>> image =
      Load(path, machine.get(), dir);
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_FALSE((*image)->verdict().shared_whole()) << (*image)->reason();
  EXPECT_THAT((*image)->reason(),
              HasSubstr("the image cache was not used: a copy re-laid out for"));
  EXPECT_THAT((*image)->reason(), HasSubstr("share the 256 KiB page"));
  EXPECT_TRUE(Entries(dir).empty());
  EXPECT_EQ(LoadedBytes(**image), HeapBytes(path));
}

TEST(ImageCacheTest, ImagesTheSharedPathTakesNeedNoEntry) {
  RawElf elf = granule::testing::RelocatedImage(
      ElfVariant{}, RawRelocations::kRela, elf::kMachineNone,
      kGranuleRelative);
  const std::string path = WriteRaw(elf);
  const std::unique_ptr<SimulatedBackend> machine =
      SimulatedMachineNamed("linux-ppc64le");
  const std::string dir = FreshDirectory();
  absl::StatusOr<std::unique_ptr<LoadedImage>> image =
      Load(path, machine.get(), dir);
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_TRUE((*image)->verdict().shared_whole()) << (*image)->reason();
  EXPECT_THAT((*image)->reason(), ::testing::Not(HasSubstr("cache")));
  EXPECT_TRUE(Entries(dir).empty());
}

// Loads `path` on a simulated 64 KiB machine through `dir` and returns the
// reason, after checking the bytes.
std::string LoadReason(const std::string& path, const std::string& dir,
                       ImageCacheOptions::Verify verify =
                           ImageCacheOptions::Verify::kIdentity) {
  const std::unique_ptr<SimulatedBackend> machine =
      SimulatedMachineNamed("linux-ppc64le");
  LoadOptions options;
  options.shared_backend = machine.get();
  options.relocation_base = kBase;
  options.cache.directory = dir;
  options.cache.verify = verify;
  absl::StatusOr<std::unique_ptr<LoadedImage>> image = LoadImage(path, options);
  EXPECT_TRUE(image.ok()) << image.status();
  if (!image.ok()) return "";
  EXPECT_EQ(LoadedBytes(**image), HeapBytes(path));
  return (*image)->reason();
}

void Overwrite(const std::string& path, uint64_t offset,
               const std::vector<uint8_t>& bytes) {
  const int fd = open(path.c_str(), O_WRONLY);
  ASSERT_GE(fd, 0) << path;
  ASSERT_EQ(pwrite(fd, bytes.data(), bytes.size(), offset),
            static_cast<ssize_t>(bytes.size()));
  close(fd);
}

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
TEST(ImageCacheTest, ThisMachineMapsTheCachedCopy) {
  const uint64_t page = sysconf(_SC_PAGESIZE);
  RawElf elf = granule::testing::RelocatedImage(
      ElfVariant{}, RawRelocations::kRela, elf::kMachineNone,
      kGranuleRelative);
  for (Segment& s : elf.segments) {
    if (s.is_load()) s.align = 0x400;
  }
  const std::string path = WriteRaw(elf);
  const std::string dir = FreshDirectory();
  LoadOptions options;
  options.relocation_base = kBase;
  absl::StatusOr<std::unique_ptr<LoadedImage>> plain = LoadImage(path, options);
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_FALSE((*plain)->verdict().shared_whole())
      << "page " << page << ": " << (*plain)->reason();
  options.cache.directory = dir;
  absl::StatusOr<std::unique_ptr<LoadedImage>> cached =
      LoadImage(path, options);
  ASSERT_TRUE(cached.ok()) << cached.status();
  if (page > 0x10000) {
    GTEST_SKIP() << "pages of " << page << " bytes share the two segments";
  }
  EXPECT_TRUE((*cached)->verdict().shared_whole()) << (*cached)->reason();
  EXPECT_THAT((*cached)->reason(), HasSubstr("(built)"));
  EXPECT_EQ(LoadedBytes(**cached), LoadedBytes(**plain));
  EXPECT_EQ((*cached)->ProtectionAt((*cached)->base() + 0x10000),
            Protection::kReadWrite);
  EXPECT_EQ((*cached)->ProtectionAt((*cached)->base()), Protection::kRead);
}

}  // namespace
}  // namespace granule
