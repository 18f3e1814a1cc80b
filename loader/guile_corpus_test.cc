// SPDX-License-Identifier: Apache-2.0
// The loader against files no one here wrote: every compiled Guile 2.2 and
// 3.0 module Debian ships. The reader is held against GNU readelf, each file
// against what Guile's linker promises (docs: shared/notes/prior-art.md), and
// the two load paths against each other and against the file's bytes, on
// this machine and on simulated ones.
#include "testing/guile_corpus.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "gtest/gtest.h"
#include "loader/elf/elf_format.h"
#include "loader/elf/elf_image.h"
#include "loader/image_registry.h"
#include "loader/loaded_image.h"
#include "platform/file.h"
#include "platform/memory/malloc_backend.h"
#include "platform/memory/memory_backend.h"
#include "platform/memory/simulated_backend.h"
#include "testing/readelf.h"

namespace granule {
namespace {

using ::granule::testing::CorpusFile;
using ::granule::testing::ReadelfReport;
using ::granule::testing::TheGuileCorpus;

constexpr size_t kMinimumCorpus = 300;
constexpr uint64_t kKiB = 1024;

// What one check found wrong with one file; empty when nothing.
class Problems {
 public:
  void Equal(absl::string_view what, uint64_t granule, uint64_t expected) {
    if (granule != expected) {
      Add(absl::StrFormat("%s: granule 0x%x, expected 0x%x", what, granule,
                          expected));
    }
  }
  void Check(bool ok, absl::string_view what) {
    if (!ok) Add(what);
  }
  void Add(absl::string_view what) { list_.push_back(std::string(what)); }
  bool empty() const { return list_.empty(); }
  std::string ToString() const { return absl::StrJoin(list_, "; "); }

 private:
  std::vector<std::string> list_;
};

using FileCheck = std::function<void(const CorpusFile&, Problems&)>;

// Runs `check` on each file; reports the first few failing files in full and
// the number that failed, so a systematic bug does not print 600 failures.
void CheckEach(const std::vector<CorpusFile>& files, const FileCheck& check) {
  constexpr int kShown = 10;
  int failed = 0;
  for (const CorpusFile& file : files) {
    Problems problems;
    check(file, problems);
    if (problems.empty()) continue;
    if (++failed <= kShown) {
      ADD_FAILURE() << file.path << ": " << problems.ToString();
    }
  }
  EXPECT_EQ(failed, 0) << failed << " of " << files.size()
                       << " files failed (the first " << kShown << " above)";
}

ElfImage ReadOrRecord(const CorpusFile& file, Problems& problems) {
  absl::StatusOr<File> f = File::OpenForReading(file.path);
  if (!f.ok()) {
    problems.Add(f.status().ToString());
    return {};
  }
  absl::StatusOr<ElfImage> elf = ReadElfImage(*f);
  if (!elf.ok()) {
    problems.Add(elf.status().ToString());
    return {};
  }
  return *std::move(elf);
}

std::vector<uint8_t> FileBytes(const std::string& path, Problems& problems) {
  absl::StatusOr<File> f = File::OpenForReading(path);
  std::vector<uint8_t> bytes(f.ok() ? f->size() : 0);
  absl::Status read = f.ok() ? f->ReadAt(0, absl::MakeSpan(bytes)) : f.status();
  problems.Check(read.ok(), read.ToString());
  return bytes;
}

// Every PT_LOAD's memory is the file's p_filesz bytes followed by zeros.
void CheckSegmentBytes(const LoadedImage& image,
                       const std::vector<uint8_t>& file, Problems& problems) {
  for (const LoadedImage::LoadedSegment& s : image.segments()) {
    const Segment& h = *s.header;
    const std::string name =
        absl::StrFormat("%s segment %d", LoadPathName(image.path()), h.index);
    problems.Equal(name + " data", reinterpret_cast<uintptr_t>(s.data),
                   image.base() + h.vaddr);
    problems.Equal(name + " size", s.size, h.memsz);
    if (h.offset + h.filesz > file.size() || s.data == nullptr) {
      problems.Add(name + " lies outside the file or was not loaded");
      continue;
    }
    problems.Check(std::memcmp(s.data, file.data() + h.offset, h.filesz) == 0,
                   name + ": bytes differ from the file");
    problems.Check(std::all_of(s.data + h.filesz, s.data + h.memsz,
                               [](uint8_t b) { return b == 0; }),
                   name + ": bytes past p_filesz are not zero");
  }
}

void CheckProtections(const LoadedImage& image, Problems& problems) {
  for (const LoadedImage::LoadedSegment& s : image.segments()) {
    const Protection want =
        s.header->writable() ? Protection::kReadWrite : Protection::kRead;
    const uintptr_t first = image.base() + s.header->vaddr;
    const uintptr_t last = first + s.header->memsz - 1;
    for (Protection seen :
         {s.protection, image.ProtectionAt(first), image.ProtectionAt(last)}) {
      problems.Check(
          seen == want,
          absl::StrFormat("%s segment %d is %s, expected %s",
                          LoadPathName(image.path()), s.header->index,
                          ProtectionName(seen), ProtectionName(want)));
    }
  }
}

class GuileCorpusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_GE(TheGuileCorpus().files.size(), kMinimumCorpus)
        << TheGuileCorpus().MissingMessage(kMinimumCorpus);
  }
  const std::vector<CorpusFile>& files() const {
    return TheGuileCorpus().files;
  }
};

TEST_F(GuileCorpusTest, ReaderAgreesWithReadelf) {
  ASSERT_TRUE(TheGuileCorpus().readelf_status.ok())
      << TheGuileCorpus().readelf_status;
  CheckEach(files(), [](const CorpusFile& file, Problems& p) {
    const ElfImage elf = ReadOrRecord(file, p);
    const auto found = TheGuileCorpus().readelf.find(file.path);
    if (found == TheGuileCorpus().readelf.end()) p.Add("no readelf report");
    if (!p.empty()) return;
    const ReadelfReport& r = found->second;
    p.Equal("EI_CLASS", elf.variant.is64 ? 2 : 1, r.ident[elf::kIdentClass]);
    p.Equal("EI_DATA", elf.variant.big_endian ? 2 : 1,
            r.ident[elf::kIdentData]);
    p.Equal("EI_OSABI", elf.os_abi, r.ident[elf::kIdentOsAbi]);
    p.Check(r.type == "DYN", "readelf type " + r.type);
    p.Check(r.machine == "None", "readelf machine " + r.machine);
    p.Equal("e_entry", elf.entry, r.entry);
    p.Check(r.segments.size() == 3, "readelf found other than 3 headers");
    p.Equal("program headers", elf.segments.size(), r.segments.size());
    for (size_t i = 0; i < std::min(elf.segments.size(), r.segments.size());
         ++i) {
      const Segment& g = elf.segments[i];
      const testing::ReadelfSegment& w = r.segments[i];
      const std::string at = absl::StrCat("phdr ", i, " ");
      p.Equal(at + "p_type", g.type, w.type);
      p.Equal(at + "p_offset", g.offset, w.offset);
      p.Equal(at + "p_vaddr", g.vaddr, w.vaddr);
      p.Equal(at + "p_filesz", g.filesz, w.filesz);
      p.Equal(at + "p_memsz", g.memsz, w.memsz);
      p.Equal(at + "p_flags", g.flags, w.flags);
      p.Equal(at + "p_align", g.align, w.align);
    }
    // The reader stops at DT_NULL, as a loader does.
    const std::vector<testing::ReadelfDynamic> dynamic = r.DynamicBeforeNull();
    p.Check(dynamic.size() >= 5, "readelf found fewer than 5 dynamic tags");
    p.Equal("dynamic entries", elf.dynamic.size(), dynamic.size());
    for (size_t i = 0; i < std::min(elf.dynamic.size(), dynamic.size()); ++i) {
      const std::string at = absl::StrCat("dynamic ", i, " ");
      p.Equal(at + "d_tag", elf.dynamic[i].tag, dynamic[i].tag);
      p.Check(dynamic[i].value.has_value(), at + "d_val not a number");
      p.Equal(at + "d_val", elf.dynamic[i].value, dynamic[i].value.value_or(0));
    }
  });
}

TEST_F(GuileCorpusTest, FilesKeepGuilesPromises) {
  CheckEach(files(), [](const CorpusFile& file, Problems& p) {
    const ElfImage elf = ReadOrRecord(file, p);
    if (!p.empty()) return;
    p.Check(elf.variant == ElfVariant{true, false},
            "not ELF64 little-endian: " + elf.variant.ToString());
    p.Equal("e_type", elf.type, elf::kTypeDyn);
    p.Equal("e_machine", elf.machine, elf::kMachineNone);
    p.Equal("EI_OSABI", elf.os_abi, elf::kOsAbiGuile);
    p.Check(elf.layout == Layout::kOneToOne,
            absl::StrCat("layout ", LayoutName(elf.layout)));
    p.Check(elf.MeetsAlignmentContract(), "misses the 64 KiB contract");
    const LoadSegmentList loads = elf.LoadSegments();
    if (loads.size() != 2 || loads[0]->writable() || !loads[1]->writable()) {
      return p.Add("PT_LOADs are not one R then one RW");
    }
    const Segment& ro = *loads[0];
    const Segment& rw = *loads[1];
    const std::optional<uint64_t> version =
        elf.DynamicValue(elf::kDtGuileVmVersion);
    const uint64_t expected_major = file.version == "3.0" ? 0x0300 : 0x0202;
    p.Check(version.has_value(), "no DT_GUILE_VM_VERSION");
    p.Equal("DT_GUILE_VM_VERSION >> 16", version.value_or(0) >> 16,
            expected_major);
    const std::optional<uint64_t> entry = elf.DynamicValue(elf::kDtGuileEntry);
    p.Check(entry && *entry >= ro.vaddr && *entry < ro.vaddr_end(),
            "DT_GUILE_ENTRY missing or outside the read-only PT_LOAD");
    const auto root = elf.DynamicValue(elf::kDtGuileGcRoot);
    const auto root_size = elf.DynamicValue(elf::kDtGuileGcRootSize);
    p.Check(root && root_size && *root >= rw.vaddr && *root <= rw.vaddr_end() &&
                *root_size <= rw.vaddr_end() - *root,
            "DT_GUILE_GC_ROOT(_SZ) missing or outside the writable PT_LOAD");
  });
}

// The ledgers every loading test must leave as it found them.
struct Ledgers {
  size_t host_regions, host_mappings, heap_regions, heap_mappings, images;

  static Ledgers Now() {
    MemoryBackend& host = **HostMemoryBackend();
    MemoryBackend& heap = HeapMemoryBackend();
    return {host.live_regions(), host.live_mappings(), heap.live_regions(),
            heap.live_mappings(), ImageRegistry::Global().size()};
  }
  void ExpectUnchangedSince(const Ledgers& start) const {
    EXPECT_EQ(host_regions, start.host_regions) << "host regions leaked";
    EXPECT_EQ(host_mappings, start.host_mappings) << "host mappings leaked";
    EXPECT_EQ(heap_regions, start.heap_regions) << "heap regions leaked";
    EXPECT_EQ(heap_mappings, start.heap_mappings) << "heap mappings leaked";
    EXPECT_EQ(images, start.images) << "registry entries left behind";
  }
};

std::unique_ptr<LoadedImage> LoadOrRecord(const std::string& path,
                                          const LoadOptions& options,
                                          Problems& problems) {
  absl::StatusOr<std::unique_ptr<LoadedImage>> image = LoadImage(path, options);
  if (!image.ok()) {
    problems.Add(image.status().ToString());
    return nullptr;
  }
  return *std::move(image);
}

// Address tags point at base() + value; the rest point nowhere.
void CheckDynamic(const LoadedImage& image, Problems& p) {
  const std::vector<LoadedImage::ResolvedEntry> resolved = image.dynamic();
  p.Equal("resolved entries", resolved.size(), image.elf().dynamic.size());
  for (const LoadedImage::ResolvedEntry& e : resolved) {
    const uintptr_t want = IsAddressTag(e.tag) ? image.base() + e.value : 0;
    p.Equal(absl::StrCat(LoadPathName(image.path()), " DT_",
                         DynamicTagName(e.tag), " pointer"),
            reinterpret_cast<uintptr_t>(e.pointer), want);
  }
}

// The registry finds the image by its first and last byte and each segment.
void CheckRegistered(const LoadedImage& image, Problems& p) {
  std::vector<uintptr_t> inside = {image.begin(), image.end() - 1};
  for (const LoadedImage::LoadedSegment& s : image.segments()) {
    inside.push_back(reinterpret_cast<uintptr_t>(s.data) + s.size - 1);
  }
  for (uintptr_t address : inside) {
    p.Check(ImageRegistry::Global().Find(address) == &image,
            absl::StrFormat("registry does not find the %s image at %#x",
                            LoadPathName(image.path()), address));
  }
}

TEST_F(GuileCorpusTest, SharedAndMallocLoadsAgreeWithTheFile) {
  using Clock = std::chrono::steady_clock;
  ASSERT_TRUE(HostMemoryBackend().ok()) << HostMemoryBackend().status();
  const Ledgers start = Ledgers::Now();
  Clock::duration shared_time{}, malloc_time{};
  uint64_t bytes = 0;
  CheckEach(files(), [&](const CorpusFile& file, Problems& p) {
    const std::vector<uint8_t> contents = FileBytes(file.path, p);
    bytes += contents.size();
    LoadOptions shared_options, malloc_options;
    shared_options.path = LoadOptions::PathChoice::kShared;
    malloc_options.path = LoadOptions::PathChoice::kMalloc;
    Clock::time_point t0 = Clock::now();
    std::unique_ptr<LoadedImage> shared =
        LoadOrRecord(file.path, shared_options, p);
    Clock::time_point t1 = Clock::now();
    std::unique_ptr<LoadedImage> heap =
        LoadOrRecord(file.path, malloc_options, p);
    malloc_time += Clock::now() - t1;
    shared_time += t1 - t0;
    if (!shared || !heap) return;
    p.Check(shared->path() == LoadPath::kShared,
            "shared load took " + std::string(LoadPathName(shared->path())) +
                ": " + shared->reason());
    p.Check(&shared->backend() == *HostMemoryBackend() &&
                shared->backend().traits().shares_file_pages,
            "shared load not on the host backend, sharing file pages");
    p.Check(&heap->backend() == &HeapMemoryBackend(),
            "malloc load not on the heap backend");
    p.Check(heap->path() == LoadPath::kMalloc,
            "malloc load took the shared path");
    p.Equal("segments", shared->segments().size(), heap->segments().size());
    for (const LoadedImage* image : {shared.get(), heap.get()}) {
      p.Equal("loaded segments", image->segments().size(),
              image->elf().LoadSegments().size());
      CheckSegmentBytes(*image, contents, p);
      CheckDynamic(*image, p);
      CheckRegistered(*image, p);
    }
    CheckProtections(*shared, p);
    for (size_t i = 0;
         i < std::min(shared->segments().size(), heap->segments().size());
         ++i) {
      const auto& a = shared->segments()[i];
      const auto& b = heap->segments()[i];
      p.Check(a.size == b.size && std::memcmp(a.data, b.data, a.size) == 0,
              absl::StrCat("segment ", i, " differs between the loads"));
    }
    const uintptr_t shared_begin = shared->begin(), heap_begin = heap->begin();
    shared.reset();
    heap.reset();
    p.Check(ImageRegistry::Global().Find(shared_begin) == nullptr &&
                ImageRegistry::Global().Find(heap_begin) == nullptr,
            "the registry still finds a released image");
  });
  Ledgers::Now().ExpectUnchangedSince(start);

  auto ms = [](Clock::duration d) {
    return std::chrono::duration<double, std::milli>(d).count();
  };
  const double n = files().size();
  std::printf(
      "Guile corpus: %zu files, %.1f MiB, host %s\n"
      "  shared path: %.1f ms in all, %.1f us per file\n"
      "  malloc path: %.1f ms in all, %.1f us per file\n",
      files().size(), bytes / 1048576.0,
      (*HostMemoryBackend())->geometry().ToString().c_str(), ms(shared_time),
      1000 * ms(shared_time) / n, ms(malloc_time), 1000 * ms(malloc_time) / n);
}

struct Machine {
  const char* name;
  uint64_t page_size, granularity;
  bool shared;  // Whether the shared path fits.
};
constexpr Machine kMachines[] = {
    {"4 KiB pages", 4 * kKiB, 4 * kKiB, true},
    {"16 KiB pages", 16 * kKiB, 16 * kKiB, true},
    {"64 KiB pages", 64 * kKiB, 64 * kKiB, true},
    {"Windows: 4 KiB pages, 64 KiB granularity", 4 * kKiB, 64 * kKiB, true},
    {"256 KiB pages", 256 * kKiB, 256 * kKiB, false},
};

TEST_F(GuileCorpusTest, SimulatedMachinesLoadASample) {
  constexpr size_t kSample = 20;
  std::vector<CorpusFile> sample;
  for (size_t i = 0; i < kSample; ++i) {
    sample.push_back(files()[i * files().size() / kSample]);
  }
  ASSERT_TRUE(HostMemoryBackend().ok()) << HostMemoryBackend().status();
  const Ledgers start = Ledgers::Now();
  for (const Machine& m : kMachines) {
    SCOPED_TRACE(m.name);
    const absl::StatusOr<PageGeometry> made =
        PageGeometry::Create(m.page_size, m.granularity);
    ASSERT_TRUE(made.ok()) << made.status();
    const PageGeometry geometry = *made;
    SimulatedBackend machine(geometry);
    CheckEach(sample, [&](const CorpusFile& file, Problems& p) {
      const std::vector<uint8_t> contents = FileBytes(file.path, p);
      LoadOptions options;
      options.shared_backend = &machine;
      std::unique_ptr<LoadedImage> image = LoadOrRecord(file.path, options, p);
      if (!image) return;
      const absl::StatusOr<LoadVerdict> verdict =
          CheckLoad(image->elf(), geometry);
      p.Check(verdict.ok() && verdict->shared_whole() == m.shared,
              "CheckLoad disagrees with the expected path");
      if (m.shared) {
        p.Check(image->path() == LoadPath::kShared,
                "took the malloc path: " + image->reason());
        p.Check(&image->backend() == &machine, "not on the simulated machine");
        CheckProtections(*image, p);
      } else {
        // Whole, no: per segment where a unit holds one segment alone.
        const LoadRoute route = image->verdict().route;
        p.Check(route != LoadRoute::kSharedWhole, "mapped whole");
        p.Check((image->path() == LoadPath::kMalloc) ==
                    (route == LoadRoute::kCopy),
                "the route and the path disagree");
        p.Check(absl::StrContains(image->reason(), "256 KiB") &&
                    absl::StrContains(image->reason(), "p_align 64 KiB"),
                "reason does not name 256 KiB and p_align 64 KiB: " +
                    image->reason());
      }
      CheckSegmentBytes(*image, contents, p);
      CheckDynamic(*image, p);
    });
    EXPECT_EQ(machine.live_regions(), 0u);
    EXPECT_EQ(machine.live_mappings(), 0u);
  }
  Ledgers::Now().ExpectUnchangedSince(start);
}

}  // namespace
}  // namespace granule
