// SPDX-License-Identifier: Apache-2.0
#include "loader/load_verdict.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace granule {

const char* UnitName(Unit unit) {
  return unit == Unit::kPage ? "page size" : "allocation granularity";
}

std::string Refusal::Message() const {
  const int first = program_headers.empty() ? -1 : program_headers[0];
  switch (kind) {
    case Kind::kUnitDoesNotDivideAlign:
      return absl::StrFormat("%s %s does not divide p_align %s of program "
                             "header %d",
                             UnitName(unit), FormatBytes(unit_bytes),
                             FormatBytes(value), first);
    case Kind::kSegmentsShareUnit:
      return absl::StrFormat(
          "program headers %d and %d share the %s %s at 0x%x", first,
          program_headers.size() > 1 ? program_headers[1] : -1,
          FormatBytes(unit_bytes),
          unit == Unit::kPage ? "page" : "allocation unit", value);
    case Kind::kZeroFillOffUnit:
      return absl::StrFormat(
          "the zero-filled part of program header %d starts at 0x%x, not on "
          "the %s allocation granularity",
          first, value, FormatBytes(unit_bytes));
    case Kind::kWindowStartOffUnit:
      return absl::StrFormat(
          "the file window starts at offset 0x%x, not a multiple of the "
          "allocation granularity %s",
          value, FormatBytes(unit_bytes));
    case Kind::kOffsetIncongruent:
      return absl::StrFormat(
          "p_offset 0x%x of program header %d is not congruent to its p_vaddr "
          "modulo the %s %s",
          value, first, UnitName(unit), FormatBytes(unit_bytes));
    case Kind::kCopyRequested:
      return "requested by the caller";
  }
  return "";
}

bool operator==(const Refusal& a, const Refusal& b) {
  return a.kind == b.kind && a.program_headers == b.program_headers &&
         a.unit == b.unit && a.unit_bytes == b.unit_bytes &&
         a.value == b.value;
}

const char* LoadRouteName(LoadRoute route) {
  switch (route) {
    case LoadRoute::kSharedWhole:
      return "shared";
    case LoadRoute::kPerSegment:
      return "per-segment";
    case LoadRoute::kCopy:
      return "copy";
  }
  return "";
}

const char* SegmentRouteName(SegmentVerdict::Route route) {
  switch (route) {
    case SegmentVerdict::Route::kMapped:
      return "mapped";
    case SegmentVerdict::Route::kPartlyMapped:
      return "partly mapped";
    case SegmentVerdict::Route::kCopied:
      return "copied";
  }
  return "";
}

std::string LoadVerdict::Reason() const {
  if (!refusal.has_value()) {
    return absl::StrFormat("%s divides every p_align (largest %s)",
                           geometry.ToString(), FormatBytes(largest_align));
  }
  if (refusal->kind == Refusal::Kind::kCopyRequested) return refusal->Message();
  std::string reason =
      absl::StrCat(refusal->Message(), " (", geometry.ToString(), ")");
  if (route == LoadRoute::kPerSegment) {
    absl::StrAppendFormat(&reason,
                          "; per segment: %d bytes mapped, %d copied",
                          bytes_mapped, bytes_copied);
  }
  return reason;
}

}  // namespace granule
