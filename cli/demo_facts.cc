// SPDX-License-Identifier: Apache-2.0
#include "cli/demo_facts.h"

#include <cstring>
#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "cli/demo_image.h"
#include "cli/platform_report.h"
#include "platform/memory/simulated_backend.h"
#include "platform/status_macros.h"

namespace granule::cli {
namespace {

// Both comparison loads are relocated as if loaded here, so relocated words
// match byte for byte although the images live at different addresses.
constexpr uint64_t kComparisonBase = 0x10000000;

absl::StatusOr<std::unique_ptr<LoadedImage>> Load(
    const std::string& path, LoadOptions::PathChoice choice,
    std::optional<uint64_t> relocation_base = std::nullopt,
    MemoryBackend* shared_backend = nullptr) {
  LoadOptions options;
  options.path = choice;
  options.relocation_base = relocation_base;
  options.shared_backend = shared_backend;
  return LoadImage(path, options);
}

// Reads each relocated word of .data and follows it, checking it lands on
// the first byte of its target section.
absl::StatusOr<std::vector<PointerFact>> FollowPointers(
    const LoadedImage& image) {
  GRANULE_ASSIGN_OR_RETURN(absl::Span<const uint8_t> data,
                           image.SectionBytes(".data"));
  const ElfVariant variant = image.elf().variant;
  const int word = variant.word_size();
  std::vector<PointerFact> facts;
  for (const char* target : {".rodata", ".text"}) {
    GRANULE_ASSIGN_OR_RETURN(absl::Span<const uint8_t> bytes,
                             image.SectionBytes(target));
    const uint64_t offset = facts.size() * word;
    const uint64_t value =
        LoadUnsigned(data.data() + offset, word, variant.big_endian);
    if (value != reinterpret_cast<uintptr_t>(bytes.data())) {
      return absl::DataLossError(absl::StrFormat(
          "%s: .data+%d holds 0x%x after relocation, but %s is at %p",
          image.elf().path, offset, value, target, bytes.data()));
    }
    // The point of the demo: follow the relocated word itself.
    const auto* followed = reinterpret_cast<const char*>(value);
    std::string seen =
        target == std::string(".rodata")
            ? absl::StrCat(
                  "\"", std::string(followed, strnlen(followed, bytes.size())),
                  "\"")
            : absl::StrFormat("%02x %02x %02x", uint8_t(followed[0]),
                              uint8_t(followed[1]), uint8_t(followed[2]));
    facts.push_back({absl::StrFormat(".data+%d", offset), target,
                     static_cast<uintptr_t>(value), std::move(seen)});
  }
  return facts;
}

// Reads every byte, so the kernel's page report shows residency: file pages
// read in, private copies, zero pages.
void TouchEverySegment(const LoadedImage& image) {
  volatile uint8_t sink = 0;
  for (const LoadedImage::LoadedSegment& s : image.segments()) {
    for (uint64_t i = 0; i < s.size; i += 256) sink = sink ^ s.data[i];
  }
}

absl::StatusOr<std::vector<SegmentAgreement>> Compare(const LoadedImage& a,
                                                      const LoadedImage& b) {
  std::vector<SegmentAgreement> agreement;
  for (size_t i = 0; i < a.segments().size(); ++i) {
    const auto& sa = a.segments()[i];
    const auto& sb = b.segments()[i];
    if (sa.size != sb.size || std::memcmp(sa.data, sb.data, sa.size) != 0) {
      return absl::DataLossError(absl::StrFormat(
          "%s: program header %d differs between the %s and %s loads",
          a.elf().path, sa.header->index, LoadPathName(a.path()),
          LoadPathName(b.path())));
    }
    agreement.push_back({sa.header->index, sa.size});
  }
  return agreement;
}

absl::StatusOr<LoadOutcome> Simulate(const SimulatedMachine& machine,
                                     const std::string& path) {
  std::unique_ptr<SimulatedBackend> simulated = MakeSimulatedBackend(machine);
  GRANULE_ASSIGN_OR_RETURN(std::unique_ptr<LoadedImage> image,
                           Load(path, LoadOptions::PathChoice::kAuto,
                                std::nullopt, simulated.get()));
  return LoadOutcome{image->path(), image->verdict().route, image->reason()};
}

absl::Status LoadOnThisMachine(const std::string& path, DemoFacts& facts) {
  using Choice = LoadOptions::PathChoice;
  GRANULE_ASSIGN_OR_RETURN(std::unique_ptr<LoadedImage> shared,
                           Load(path, Choice::kAuto));
  GRANULE_ASSIGN_OR_RETURN(std::unique_ptr<LoadedImage> malloc,
                           Load(path, Choice::kMalloc));
  GRANULE_ASSIGN_OR_RETURN(std::vector<PointerFact> pointers,
                           FollowPointers(*shared));
  facts.pointers = std::move(pointers);
  GRANULE_RETURN_IF_ERROR(FollowPointers(*malloc).status());
  TouchEverySegment(*shared);
  GRANULE_ASSIGN_OR_RETURN(ImageReport shared_report, DescribeImage(*shared));
  GRANULE_ASSIGN_OR_RETURN(ImageReport malloc_report, DescribeImage(*malloc));
  facts.shared = std::move(shared_report);
  facts.malloc = std::move(malloc_report);

  GRANULE_ASSIGN_OR_RETURN(std::unique_ptr<LoadedImage> a,
                           Load(path, Choice::kAuto, kComparisonBase));
  GRANULE_ASSIGN_OR_RETURN(std::unique_ptr<LoadedImage> b,
                           Load(path, Choice::kMalloc, kComparisonBase));
  GRANULE_ASSIGN_OR_RETURN(std::vector<SegmentAgreement> agreement,
                           Compare(*a, *b));
  facts.compared[0] = a->path();
  facts.compared[1] = b->path();
  facts.agreement = std::move(agreement);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<DemoFacts> GatherDemoFacts(const std::string& scratch_parent) {
  GRANULE_ASSIGN_OR_RETURN(ScratchDirectory scratch,
                           ScratchDirectory::Create(scratch_parent));
  const std::string image_64k = scratch.File("sample-64k.go");
  const std::string image_4k = scratch.File("sample-4k.go");
  GRANULE_RETURN_IF_ERROR(WriteImage(DemoImageSpec(64 * kKiB), image_64k));
  GRANULE_RETURN_IF_ERROR(WriteImage(DemoImageSpec(4 * kKiB), image_4k));
  DemoFacts facts;
  GRANULE_RETURN_IF_ERROR(LoadOnThisMachine(image_64k, facts));
  for (const SimulatedMachine& machine : SimulatedMachines()) {
    if (!machine.granule_runs_this_view) continue;
    GRANULE_ASSIGN_OR_RETURN(LoadOutcome aligned_64k,
                             Simulate(machine, image_64k));
    GRANULE_ASSIGN_OR_RETURN(LoadOutcome aligned_4k,
                             Simulate(machine, image_4k));
    facts.machines.push_back({&machine, aligned_64k, aligned_4k});
  }
  GRANULE_ASSIGN_OR_RETURN(MemoryBackend* host, HostMemoryBackend());
  facts.platform_text = PlatformReport(host->geometry(), host->traits(), false);
  facts.platform_json = std::string(absl::StripSuffix(
      PlatformReport(host->geometry(), host->traits(), true), "\n"));
  return facts;
}

}  // namespace granule::cli
