// SPDX-License-Identifier: Apache-2.0
#include "loader/image_cache_test_util.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "gtest/gtest.h"
#include "loader/elf/relocation_types.h"
#include "platform/memory/simulated_machines.h"
#include "testing/temp_file.h"

namespace granule::cache_testing {
using granule::testing::RawElf;
using granule::testing::RawRelocations;

RawElf PackedImage(uint64_t align, uint64_t rw_offset) {
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
                                                  Choice choice) {
  LoadOptions options;
  options.shared_backend = machine;
  options.path = choice;
  options.relocation_base = kBase;
  options.cache.directory = cache;
  return LoadImage(path, options);
}

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
std::string LoadReason(const std::string& path, const std::string& dir,
                       ImageCacheOptions::Verify verify) {
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


}  // namespace granule::cache_testing
