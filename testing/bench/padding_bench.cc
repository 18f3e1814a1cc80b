// SPDX-License-Identifier: Apache-2.0
// Padding: the 64 KiB padding between segments costs neither
// memory nor disk. An image in the 1:1 layout is written, dropped from the
// page cache, loaded and every segment byte touched; mincore then counts the
// padding pages (between one segment's last page and the next one's first)
// that are resident. Also: the 1:1 file's allocated blocks against its
// content, and the compact layout's file size against its content.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "loader/elf/elf_image.h"
#include "loader/loaded_image.h"
#include "loader/writer/image_writer.h"
#include "platform/file.h"
#include "platform/status_macros.h"
#include "testing/bench/bench_row.h"

namespace granule::bench {
namespace {

constexpr double kKiB = 1024;

// Three segments whose ends fall mid-way between 64 KiB boundaries, so each
// is followed by padding pages.
ImageSpec PaddedSpec(Layout layout) {
  ImageSpec spec;
  spec.machine = 62;  // EM_X86_64; the loader does not care.
  spec.layout = layout;
  auto filled = [](const char* name, SectionAccess access, size_t size) {
    SectionSpec s{name, access, 16, {}};
    s.bytes.resize(size);
    for (size_t i = 0; i < size; ++i) s.bytes[i] = i % 251 + 1;
    return s;
  };
  spec.sections.push_back(filled(".rodata", SectionAccess::kRead, 150000));
  spec.sections.push_back(filled(".text", SectionAccess::kReadExecute, 70000));
  spec.sections.push_back(filled(".data", SectionAccess::kReadWrite, 30000));
  SectionSpec bss{".bss", SectionAccess::kReadWrite, 16, {}};
  bss.zero_size = 50000;
  spec.sections.push_back(bss);
  return spec;
}

struct Residency {
  uint64_t padding_pages = 0, padding_resident = 0;
  uint64_t padding_mapped = 0;  // Present in this process's page table.
  uint64_t segment_pages = 0, segment_resident = 0;
};

absl::Status DropFromPageCache(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::NotFoundError("cannot open " + path);
  const int error = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  close(fd);
  if (error != 0) return absl::InternalError("posix_fadvise " + path);
  return absl::OkStatus();
}

// Whether the page at `address` is present in this process's page table
// (/proc/self/pagemap bit 63): mapped here, not merely in the page cache.
bool PagePresent(int pagemap, uintptr_t address, uintptr_t page) {
  uint64_t entry = 0;
  return pread(pagemap, &entry, sizeof entry, address / page * sizeof entry) ==
             sizeof entry &&
         (entry >> 63) != 0;
}

// Reads every segment byte (and writes every writable one), then asks
// mincore about each page of the image's range.
absl::StatusOr<Residency> LoadTouchCount(const std::string& path,
                                         bool copy_file_bytes) {
  GRANULE_RETURN_IF_ERROR(DropFromPageCache(path));
  LoadOptions options;
  options.path = LoadOptions::PathChoice::kShared;
  options.copy_file_bytes = copy_file_bytes;
  GRANULE_ASSIGN_OR_RETURN(std::unique_ptr<LoadedImage> image,
                           LoadImage(path, options));
  const LoadedImage& loaded = *image;
  const uintptr_t page = sysconf(_SC_PAGESIZE);
  std::vector<std::pair<uintptr_t, uintptr_t>> segment_pages;
  volatile uint8_t sink = 0;
  for (const LoadedImage::LoadedSegment& s : loaded.segments()) {
    for (uint64_t i = 0; i < s.size; ++i) {
      if (s.protection == Protection::kReadWrite) {
        s.data[i] = s.data[i] + 1;
      } else {
        sink += static_cast<volatile uint8_t*>(s.data)[i];
      }
    }
    const uintptr_t begin = reinterpret_cast<uintptr_t>(s.data);
    segment_pages.push_back(
        {begin / page * page, (begin + s.size + page - 1) / page * page});
  }
  std::sort(segment_pages.begin(), segment_pages.end());
  const uintptr_t first = segment_pages.front().first;
  const uintptr_t last = segment_pages.back().second;
  std::vector<unsigned char> resident((last - first) / page);
  if (mincore(reinterpret_cast<void*>(first), last - first, resident.data()) !=
      0) {
    return absl::InternalError("mincore over the image failed");
  }
  Residency r;
  const int pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
  if (pagemap < 0) return absl::NotFoundError("cannot open /proc/self/pagemap");
  for (uintptr_t p = first; p < last; p += page) {
    const bool in_segment = std::any_of(
        segment_pages.begin(), segment_pages.end(),
        [p](const auto& s) { return p >= s.first && p < s.second; });
    const bool is_resident = resident[(p - first) / page] & 1;
    (in_segment ? r.segment_pages : r.padding_pages) += 1;
    (in_segment ? r.segment_resident : r.padding_resident) += is_resident;
    if (!in_segment) r.padding_mapped += PagePresent(pagemap, p, page);
  }
  close(pagemap);
  return r;
}

struct DiskFigures {
  uint64_t file_size = 0, allocated = 0;
  uint64_t content = 0;         // PT_LOAD file bytes and what follows them.
  uint64_t content_blocks = 0;  // The filesystem blocks those bytes touch.
  int segments = 0;
};

absl::StatusOr<DiskFigures> MeasureDisk(const std::string& path) {
  GRANULE_ASSIGN_OR_RETURN(File file, File::OpenForReading(path));
  GRANULE_ASSIGN_OR_RETURN(ElfImage elf, ReadElfImage(file));
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return absl::NotFoundError(path);
  DiskFigures d;
  d.file_size = st.st_size;
  d.allocated = uint64_t(st.st_blocks) * 512;
  const uint64_t block = st.st_blksize;
  std::set<uint64_t> blocks;
  auto add = [&](uint64_t begin, uint64_t end) {
    d.content += end - begin;
    for (uint64_t b = begin / block; b * block < end; ++b) blocks.insert(b);
  };
  uint64_t loads_end = 0;
  // The ELF header and program headers lie inside the first PT_LOAD.
  for (const Segment* s : elf.LoadSegments()) {
    add(s->offset, s->offset + s->filesz);
    loads_end = std::max(loads_end, s->offset + s->filesz);
    ++d.segments;
  }
  // Section headers and their names follow the segments: content, not
  // padding.
  if (d.file_size > loads_end) add(loads_end, d.file_size);
  d.content_blocks = blocks.size() * block;
  return d;
}

// The mmap read-around window: the readahead size of the device holding
// `path` (a partition's is its disk's).
std::string ReadAheadKb(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return "unknown";
  const std::string device = absl::StrFormat(
      "/sys/dev/block/%d:%d/", major(st.st_dev), minor(st.st_dev));
  for (const char* rest : {"queue/read_ahead_kb", "../queue/read_ahead_kb"}) {
    std::ifstream in(device + rest);
    std::string kb;
    if (in >> kb) return kb;
  }
  return "unknown";
}

void PrintResidency(const char* name, const Residency& r, const char* how,
                    const std::string& path) {
  PrintRow(
      {6, name, double(r.padding_resident), double(r.padding_pages), "pages",
       "==0", r.padding_resident == 0, "padding_pages_in_image",
       absl::StrFormat(
           "%s; page cache dropped first, every segment byte touched; "
           "resident padding pages / padding pages (mincore); segment "
           "pages resident %d of %d; padding pages mapped into this process "
           "(pagemap) %d; readahead window of the file's disk %s KiB",
           how, r.segment_resident, r.segment_pages, r.padding_mapped,
           ReadAheadKb(path))});
}

int Fail(const absl::Status& status) {
  std::cerr << "padding_bench: " << status << "\n";
  return 1;
}

int Main() {
  absl::StatusOr<TempDir> dir = TempDir::Create("padding_bench");
  if (!dir.ok()) return Fail(dir.status());
  const std::string one_to_one = dir->File("one_to_one.img");
  const std::string compact = dir->File("compact.img");
  if (absl::Status s = WriteImage(PaddedSpec(Layout::kOneToOne), one_to_one);
      !s.ok()) {
    return Fail(s);
  }
  if (absl::Status s = WriteImage(PaddedSpec(Layout::kCompact), compact);
      !s.ok()) {
    return Fail(s);
  }
  absl::StatusOr<Residency> mapped = LoadTouchCount(one_to_one, false);
  if (!mapped.ok()) return Fail(mapped.status());
  absl::StatusOr<Residency> copied = LoadTouchCount(one_to_one, true);
  if (!copied.ok()) return Fail(copied.status());
  absl::StatusOr<Residency> compact_mapped = LoadTouchCount(compact, false);
  if (!compact_mapped.ok()) return Fail(compact_mapped.status());
  absl::StatusOr<DiskFigures> disk = MeasureDisk(one_to_one);
  if (!disk.ok()) return Fail(disk.status());
  absl::StatusOr<DiskFigures> packed = MeasureDisk(compact);
  if (!packed.ok()) return Fail(packed.status());

  PrintResidency("padding_resident_1to1", *mapped,
                 "1:1 layout, shared path (file mapped)", one_to_one);
  PrintResidency("padding_resident_1to1_copy", *copied,
                 "1:1 layout, shared path with copy_file_bytes", one_to_one);
  PrintResidency("padding_resident_compact", *compact_mapped,
                 "compact layout, shared path (segments mapped one by one)",
                 compact);
  PrintRow({6, "padding_disk_1to1", disk->allocated / kKiB,
            disk->content_blocks / kKiB, "KiB", "<=1",
            disk->allocated <= disk->content_blocks,
            "content_in_whole_fs_blocks",
            absl::StrFormat("1:1 layout: st_blocks*512 against the "
                            "filesystem blocks its %d content bytes touch; "
                            "file size %d bytes",
                            disk->content, disk->file_size)});
  const uint64_t page = sysconf(_SC_PAGESIZE);
  const uint64_t allowed = packed->content + packed->segments * page;
  PrintRow({6, "padding_file_compact", packed->file_size / kKiB, allowed / kKiB,
            "KiB", "<=1", packed->file_size <= allowed,
            "content+1_page_per_segment",
            absl::StrFormat("compact layout: file size %d bytes, content %d "
                            "bytes, %d segments, page %d",
                            packed->file_size, packed->content,
                            packed->segments, page)});
  return 0;
}

}  // namespace
}  // namespace granule::bench

int main() { return granule::bench::Main(); }
