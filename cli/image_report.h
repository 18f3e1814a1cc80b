// SPDX-License-Identifier: Apache-2.0
// What a loaded image looks like from the inside: the path the loader took
// and why, the segments with the protections the kernel enforces (or the
// backend records), and the dynamic entries with their loaded addresses.
// Shared by `granule load` and `granule demo`.
#ifndef GRANULE_CLI_IMAGE_REPORT_H_
#define GRANULE_CLI_IMAGE_REPORT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "loader/load_verdict.h"
#include "loader/loaded_image.h"
#include "platform/page_state/page_state.h"

namespace granule::cli {

// Where a segment's protection came from.
enum class ProtectionSource {
  kKernel,       // /proc/self/maps: what the hardware enforces.
  kRecorded,     // The backend enforces it, but the kernel cannot be asked.
  kNotEnforced,  // The malloc or simulated backend: recorded, not enforced.
};
const char* ProtectionSourceName(ProtectionSource source);

struct SegmentReport {
  int index;  // Program header index.
  uint64_t vaddr;
  uint64_t size;      // p_memsz.
  std::string flags;  // p_flags: "R", "RW", "RX".
  Segment header;     // As read from the file.
  uintptr_t address;  // Where the segment is in this process.
  // The protection of its pages: "RW", or "R+RW" when pages differ, in page
  // order (PT_GNU_RELRO).
  std::string protection;
  ProtectionSource source;
  std::optional<PageSummary> pages;  // With kKernel only.
};

struct DynamicReport {
  std::string tag;  // DynamicTagName.
  uint64_t value;
  // For address tags inside the image: where the value points now.
  std::optional<uintptr_t> pointer;
  std::string meaning;  // A decoded value (Guile's VM version), or empty.
};

struct ImageReport {
  std::string file;
  LoadPath path;
  LoadVerdict verdict;  // The route, and per segment what was mapped.
  std::string reason;
  std::string backend;  // BackendTraits::name.
  uintptr_t base;
  bool protection_enforced;
  bool file_bytes_copied;  // LoadedImage::file_bytes_copied.
  size_t relocations_applied;
  std::vector<SegmentReport> segments;
  std::vector<DynamicReport> dynamic;
};

// Asks the kernel about every segment when the backend enforces protection.
// Errors are the page-state query's, other than Unimplemented (which falls
// back to the recorded protections).
absl::StatusOr<ImageReport> DescribeImage(const LoadedImage& image);

// DT_GUILE_VM_VERSION as libguile reads it (loader.c): major = value >> 16,
// one byte each of the Guile series (0x0300 is 3.0, 0x0202 is 2.2), minor =
// value & 0xffff, the bytecode revision within the series. E.g. 0x3000006 ->
// "Guile 3.0 bytecode, minor 6 (raw 0x3000006)".
std::string DescribeGuileVmVersion(uint64_t value);

// "RW (kernel)", "R (recorded, not enforced)".
std::string ProtectionText(const SegmentReport& segment);
// "3 pages: 2 resident (2 file, 0 private)".
std::string PageSummaryText(const PageSummary& pages);

// Indented lines, or one JSON object; `micros` is the load time, if known.
std::string FormatImageReport(const ImageReport& report,
                              std::optional<int64_t> micros);
std::string ImageReportJson(const ImageReport& report,
                            std::optional<int64_t> micros);

}  // namespace granule::cli

#endif  // GRANULE_CLI_IMAGE_REPORT_H_
