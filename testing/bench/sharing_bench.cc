// SPDX-License-Identifier: Apache-2.0
// Sharing: N processes load the same 64 MiB image (mostly
// read-only data, some writable) and hold it, every read-only page read and
// every writable page written. The parent sums each child's Pss over the
// mappings inside the image's address range (/proc/PID/smaps). On the shared
// path each process should carry RO/N + RW; the malloc path is reported
// beside it (every page private). Two more lines load a copy of the image
// that this machine's shared path does not map whole (p_align 1 KiB, below
// any page size, as a 4 KiB-aligned image is below a 64 KiB page): segment
// by segment as it is, and through an image cache (LoadOptions::cache),
// whose re-laid-out copy every child maps whole.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "loader/loaded_image.h"
#include "loader/writer/image_writer.h"
#include "platform/status_macros.h"
#include "testing/bench/bench_row.h"

namespace granule::bench {
namespace {

constexpr int kProcesses = 8;
constexpr uint64_t kMiB = uint64_t{1} << 20;
constexpr uint64_t kReadOnlyBytes = 60 * kMiB;
constexpr uint64_t kWritableBytes = 4 * kMiB - 64 * 1024;

absl::Status WriteSharingImage(const std::string& path) {
  ImageSpec spec;
  spec.machine = 62;  // EM_X86_64; the loader does not care.
  SectionSpec rodata{".rodata", SectionAccess::kRead, 4096, {}};
  rodata.bytes.resize(kReadOnlyBytes);
  for (size_t i = 0; i < rodata.bytes.size(); ++i) rodata.bytes[i] = i * 7 + 1;
  SectionSpec data{".data", SectionAccess::kReadWrite, 4096, {}};
  data.bytes.assign(kWritableBytes, 0x5a);
  spec.sections.push_back(std::move(rodata));
  spec.sections.push_back(std::move(data));
  return WriteImage(spec, path);
}

// The same image with every PT_LOAD's p_align set to 1 KiB, which no page
// size divides: the shared path refuses it as it is.
absl::Status WriteRefusedImage(const std::string& from, const std::string& to) {
  {
    std::ifstream in(from, std::ios::binary);
    std::ofstream out(to, std::ios::binary);
    out << in.rdbuf();
    if (!out) return absl::InternalError("cannot copy " + from + " to " + to);
  }
  GRANULE_ASSIGN_OR_RETURN(File file, File::OpenForReading(to));
  GRANULE_ASSIGN_OR_RETURN(ElfImage elf, ReadElfImage(file));
  const int fd = open(to.c_str(), O_WRONLY);
  if (fd < 0) return absl::InternalError("cannot open " + to);
  // The writer puts the program headers right after the ELF64 header.
  const uint64_t align = 1024;
  bool ok = true;
  for (const Segment* s : elf.LoadSegments()) {
    const off_t at =
        elf.variant.sizes().ehdr + s->index * elf.variant.sizes().phdr + 48;
    ok = ok && pwrite(fd, &align, sizeof(align), at) == sizeof(align);
  }
  close(fd);
  return ok ? absl::OkStatus() : absl::InternalError("cannot patch " + to);
}

// What a child reports: the image's range and its page-rounded RO and RW
// bytes, as touched.
struct ChildReport {
  uintptr_t begin = 0, end = 0;
  uint64_t read_only = 0, writable = 0;
};

// Loads, touches, reports on `report_fd`, then holds until `hold_fd` closes.
int RunChild(const std::string& path, LoadOptions::PathChoice choice,
             const std::string& cache_dir, int report_fd, int hold_fd) {
  LoadOptions options;
  options.path = choice;
  options.cache.directory = cache_dir;
  absl::StatusOr<std::unique_ptr<LoadedImage>> image = LoadImage(path, options);
  if (!image.ok()) {
    std::cerr << "sharing_bench child: " << image.status() << "\n";
    return 1;
  }
  const uintptr_t page = sysconf(_SC_PAGESIZE);
  ChildReport report{(*image)->begin(), (*image)->end(), 0, 0};
  volatile uint8_t sink = 0;
  for (const LoadedImage::LoadedSegment& s : (*image)->segments()) {
    const uintptr_t first = reinterpret_cast<uintptr_t>(s.data) / page * page;
    const uintptr_t last =
        (reinterpret_cast<uintptr_t>(s.data) + s.size + page - 1) / page * page;
    const bool writable = s.protection == Protection::kReadWrite;
    (writable ? report.writable : report.read_only) += last - first;
    for (uintptr_t p = std::max(first, reinterpret_cast<uintptr_t>(s.data));
         p < last; p = (p / page + 1) * page) {
      if (writable) {
        *reinterpret_cast<volatile uint8_t*>(p) += 1;
      } else {
        sink += *reinterpret_cast<volatile uint8_t*>(p);
      }
    }
  }
  const std::string line =
      absl::StrFormat("%d %d %d %d\n", report.begin, report.end,
                      report.read_only, report.writable);
  if (write(report_fd, line.data(), line.size()) !=
      static_cast<ssize_t>(line.size())) {
    return 1;
  }
  char byte;
  while (read(hold_fd, &byte, 1) > 0) {
  }
  return 0;
}

// Sum of "Pss:" over the mappings of `pid` that overlap [begin, end), in KiB.
absl::StatusOr<uint64_t> PssInRange(pid_t pid, uintptr_t begin, uintptr_t end) {
  const std::string path = absl::StrFormat("/proc/%d/smaps", pid);
  std::ifstream smaps(path);
  if (!smaps) return absl::NotFoundError("cannot read " + path);
  uint64_t total = 0;
  bool inside = false;
  std::string line;
  while (std::getline(smaps, line)) {
    const size_t dash = line.find('-');
    const size_t space = line.find(' ');
    uint64_t lo, hi, kib;
    if (dash != std::string::npos && space != std::string::npos &&
        dash < space && absl::SimpleHexAtoi(line.substr(0, dash), &lo) &&
        absl::SimpleHexAtoi(line.substr(dash + 1, space - dash - 1), &hi)) {
      inside = lo < end && hi > begin;
    } else if (inside && line.rfind("Pss:", 0) == 0) {
      std::istringstream fields(line.substr(4));
      if (!(fields >> kib)) return absl::DataLossError(path + ": " + line);
      total += kib;
    }
  }
  return total;
}

struct PathFigures {
  std::vector<double> pss_mib;  // Per child.
  double expected_mib = 0;      // RO/N + RW.
};

// Reads every child's report first, so all N hold the image before any PSS
// is read: PSS divides a shared page among the processes mapping it now.
absl::Status ReadAll(const std::vector<pid_t>& children,
                     const std::vector<FILE*>& reports, PathFigures& figures) {
  std::vector<ChildReport> got;
  for (size_t i = 0; i < children.size(); ++i) {
    unsigned long long b, e, ro, rw;
    if (reports[i] == nullptr ||
        fscanf(reports[i], "%llu %llu %llu %llu", &b, &e, &ro, &rw) != 4) {
      return absl::InternalError(absl::StrFormat(
          "child %d did not report its image (see its error above)",
          children[i]));
    }
    got.push_back({uintptr_t(b), uintptr_t(e), ro, rw});
  }
  for (size_t i = 0; i < children.size(); ++i) {
    GRANULE_ASSIGN_OR_RETURN(uint64_t kib,
                             PssInRange(children[i], got[i].begin, got[i].end));
    figures.pss_mib.push_back(kib / 1024.0);
  }
  figures.expected_mib =
      (double(got[0].read_only) / kProcesses + got[0].writable) / kMiB;
  return absl::OkStatus();
}

absl::StatusOr<PathFigures> Measure(const std::string& path,
                                    LoadOptions::PathChoice choice,
                                    const std::string& cache_dir = "") {
  int hold[2];
  if (pipe(hold) != 0) return absl::InternalError("pipe");
  std::vector<pid_t> children;
  std::vector<FILE*> reports;
  absl::Status status;
  for (int i = 0; i < kProcesses && status.ok(); ++i) {
    int report[2];
    if (pipe(report) != 0) {
      status = absl::InternalError("pipe");
      break;
    }
    const pid_t pid = fork();
    if (pid == 0) {
      close(hold[1]);
      close(report[0]);
      _exit(RunChild(path, choice, cache_dir, report[1], hold[0]));
    }
    close(report[1]);
    if (pid < 0) {
      close(report[0]);
      status = absl::InternalError("fork");
      break;
    }
    children.push_back(pid);
    reports.push_back(fdopen(report[0], "r"));
  }
  close(hold[0]);
  PathFigures figures;
  if (status.ok()) status = ReadAll(children, reports, figures);
  close(hold[1]);  // Lets every child go.
  for (size_t i = 0; i < children.size(); ++i) {
    int wstatus = 0;
    waitpid(children[i], &wstatus, 0);
    if (reports[i] != nullptr) fclose(reports[i]);
    if (status.ok() && !(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0)) {
      status = absl::InternalError(
          absl::StrFormat("child %d failed (status %d)", children[i], wstatus));
    }
  }
  if (!status.ok()) return status;
  return figures;
}

// The image with p_align 1 KiB, which no page size divides, so the shared
// path does not map it whole: loaded segment by segment as it is, and
// through an image cache, whose entry one load fills before the children
// start and from which every child must map it whole.
struct RefusedFigures {
  PathFigures per_segment;
  PathFigures cached;
};

absl::StatusOr<RefusedFigures> MeasureRefused(const TempDir& dir,
                                              const std::string& image) {
  const std::string refused = dir.File("refused.img");
  GRANULE_RETURN_IF_ERROR(WriteRefusedImage(image, refused));
  const std::string cache = dir.File("cache");
  {
    GRANULE_ASSIGN_OR_RETURN(std::unique_ptr<LoadedImage> plain,
                             LoadImage(refused));
    if (plain->verdict().route != LoadRoute::kPerSegment) {
      return absl::InternalError(refused + " was not loaded segment by " +
                                 "segment: " + plain->reason());
    }
    LoadOptions options;
    options.cache.directory = cache;
    GRANULE_ASSIGN_OR_RETURN(std::unique_ptr<LoadedImage> filled,
                             LoadImage(refused, options));
    if (!filled->verdict().shared_whole()) {
      return absl::InternalError("the cache did not help: " + filled->reason());
    }
  }
  GRANULE_ASSIGN_OR_RETURN(PathFigures per_segment,
                           Measure(refused, LoadOptions::PathChoice::kAuto));
  GRANULE_ASSIGN_OR_RETURN(
      PathFigures cached,
      Measure(refused, LoadOptions::PathChoice::kShared, cache));
  return RefusedFigures{std::move(per_segment), std::move(cached)};
}

std::string Spread(const std::vector<double>& values) {
  return absl::StrFormat("min %.2f max %.2f MiB",
                         *std::min_element(values.begin(), values.end()),
                         *std::max_element(values.begin(), values.end()));
}

int Main() {
  absl::StatusOr<TempDir> dir = TempDir::Create("sharing_bench");
  if (!dir.ok()) {
    std::cerr << "sharing_bench: " << dir.status() << "\n";
    return 1;
  }
  const std::string image = dir->File("sharing.img");
  if (absl::Status s = WriteSharingImage(image); !s.ok()) {
    std::cerr << "sharing_bench: " << s << "\n";
    return 1;
  }
  absl::StatusOr<PathFigures> shared =
      Measure(image, LoadOptions::PathChoice::kShared);
  absl::StatusOr<PathFigures> heap =
      Measure(image, LoadOptions::PathChoice::kMalloc);
  if (!shared.ok() || !heap.ok()) {
    std::cerr << "sharing_bench: "
              << (shared.ok() ? heap.status() : shared.status()) << "\n";
    return 1;
  }
  absl::StatusOr<RefusedFigures> refused = MeasureRefused(*dir, image);
  if (!refused.ok()) {
    std::cerr << "sharing_bench: " << refused.status() << "\n";
    return 1;
  }
  const double shared_mib = Median(shared->pss_mib);
  const double ratio = shared_mib / shared->expected_mib;
  const std::string what = absl::StrFormat(
      "%d processes hold one 64 MiB image (%d MiB RO, %.2f MiB RW; RO pages "
      "read, RW pages written); Pss summed over the image's mappings in "
      "/proc/PID/smaps; median of the %d",
      kProcesses, kReadOnlyBytes / kMiB, double(kWritableBytes) / kMiB,
      kProcesses);
  PrintRow({5, "sharing_shared_path", shared_mib, shared->expected_mib, "MiB",
            "<=1.05", ratio <= 1.05 && ratio >= 0.95, "RO/8+RW",
            what + ", " + Spread(shared->pss_mib) +
                "; met means within 5% either way"});
  PrintRow({5, "sharing_malloc_path", Median(heap->pss_mib), heap->expected_mib,
            "MiB", "none", std::nullopt, "RO/8+RW",
            what + ", " + Spread(heap->pss_mib) +
                "; the heap copy shares nothing, as expected"});
  // The refused image, loaded two ways, against the shared path's PSS.
  const auto print_against_shared = [&](const char* name,
                                        const std::vector<double>& pss_mib,
                                        const std::string& how) {
    const double ratio = Median(pss_mib) / shared_mib;
    PrintRow({5, name, Median(pss_mib), shared_mib, "MiB", "<=1.05",
              ratio <= 1.05 && ratio >= 0.95, "sharing_shared_path",
              what + ", " + Spread(pss_mib) + "; " + how +
                  "; met means within 5% of the shared path's PSS either "
                  "way"});
  };
  print_against_shared(
      "sharing_per_segment", refused->per_segment.pss_mib,
      "the image with p_align 1 KiB, which the shared path does not map "
      "whole, loaded segment by segment (each segment mapped where its "
      "offset and address agree modulo the page, the rest copied)");
  print_against_shared(
      "sharing_cached_copy", refused->cached.pss_mib,
      "the same image mapped whole from its re-laid-out copy in an image "
      "cache (filled once before the children start)");
  return 0;
}

}  // namespace
}  // namespace granule::bench

int main() { return granule::bench::Main(); }
