// SPDX-License-Identifier: Apache-2.0
#include "testing/bench/corpus_floor.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>

#include "loader/elf/elf_image.h"
#include "loader/elf/windowed_reader.h"
#include "platform/file.h"
#include "testing/guile_files.h"

namespace granule::bench {
namespace {

// The reader's first read: the ELF header and, in a typical image, the
// program headers and the dynamic table behind it.
constexpr uint64_t kHeadBytes = internal::WindowedReader::kInlineBytes;

absl::StatusOr<CorpusEntry> PrepareEntry(const std::string& path,
                                         uint64_t page) {
  absl::StatusOr<File> file = File::OpenForReading(path);
  if (!file.ok()) return file.status();
  absl::StatusOr<ElfImage> elf = ReadElfImage(*file);
  if (!elf.ok()) return elf.status();
  CorpusEntry entry{path, {}, {0, std::min(kHeadBytes, file->size())}, {}};
  if (const Segment* d = elf->FindSegment(elf::kPtDynamic);
      d != nullptr && d->offset + d->filesz > entry.head.length) {
    entry.dynamic = {d->offset, d->filesz};
  }
  for (const Segment* s : elf->LoadSegments()) {
    if (!s->writable()) continue;
    // The floor maps the file 1:1 (Guile's layout: vaddr == offset), so a
    // segment's pages are at its offset; bytes past the file are not mapped.
    const uint64_t begin = s->offset / page * page;
    const uint64_t end =
        std::min<uint64_t>((s->offset + s->memsz + page - 1) / page * page,
                           (file->size() + page - 1) / page * page);
    if (end > begin) entry.writable.push_back({begin, end - begin});
  }
  return entry;
}

bool ReadFully(int fd, const PageRange& range, uint8_t* out) {
  return range.length <= kHeadBytes &&
         pread(fd, out, range.length, static_cast<off_t>(range.offset)) ==
             static_cast<ssize_t>(range.length);
}

}  // namespace

absl::StatusOr<std::vector<CorpusEntry>> PrepareGuileCorpus() {
  const uint64_t page = sysconf(_SC_PAGESIZE);
  std::vector<CorpusEntry> corpus;
  for (const testing::CorpusFile& f : testing::FindGuileFiles().files) {
    if (f.version != "3.0") continue;
    absl::StatusOr<CorpusEntry> e = PrepareEntry(f.path, page);
    if (!e.ok()) return e.status();
    corpus.push_back(*std::move(e));
  }
  return corpus;
}

bool FloorPass(const std::vector<CorpusEntry>& corpus, bool read_headers) {
  static uint8_t bytes[kHeadBytes];
  for (const CorpusEntry& e : corpus) {
    const int fd = open(e.path.c_str(), O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
      perror(e.path.c_str());
      return false;
    }
    if (read_headers &&
        (!ReadFully(fd, e.head, bytes) ||
         (e.dynamic.length != 0 && !ReadFully(fd, e.dynamic, bytes)))) {
      std::cerr << e.path << ": the header reads failed\n";
      return false;
    }
    void* p = mmap(nullptr, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      perror(e.path.c_str());
      return false;
    }
    for (const PageRange& r : e.writable) {
      if (mprotect(static_cast<char*>(p) + r.offset, r.length,
                   PROT_READ | PROT_WRITE) != 0) {
        perror(e.path.c_str());
        return false;
      }
    }
    munmap(p, st.st_size);
    close(fd);
  }
  return true;
}

}  // namespace granule::bench
