// SPDX-License-Identifier: Apache-2.0
// The reader on untrusted bytes: ReadElfImage must return an error or an
// image whose accessors are safe, never crash.
#include <cstddef>
#include <cstdint>

#include "loader/elf/elf_image.h"
#include "testing/fuzz/fuzz_checks.h"

namespace granule::fuzz {
namespace {

volatile uint64_t sink;

// What callers do with an accepted image: granule check's report.
void UseImage(const ElfImage& image, size_t size) {
  Require(image.file_size == size, "file_size differs from the file's size");
  uint64_t sum = image.load_start() + image.load_end() + image.max_load_align();
  sum += image.MeetsAlignmentContract();
  for (const Segment* s : image.LoadSegments()) sum += s->FlagString().size();
  Require(image.load_start() <= image.load_end(), "load_start > load_end");
  for (const Section& section : image.sections) {
    Require(image.FindSection(section.name) != nullptr,
            "a section is not found by its own name");
  }
  for (const DynamicEntry& entry : image.dynamic) {
    sum += DynamicTagName(entry.tag).size() + IsAddressTag(entry.tag);
    Require(image.DynamicValue(entry.tag).has_value(),
            "a dynamic entry is not found by its own tag");
  }
  sink = sum;
}

}  // namespace
}  // namespace granule::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace granule;
  File file = fuzz::InputFile(data, size);
  absl::StatusOr<ElfImage> image = ReadElfImage(file);
  if (image.ok()) fuzz::UseImage(*image, size);
  return 0;
}
