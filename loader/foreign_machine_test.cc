// SPDX-License-Identifier: Apache-2.0
// Images written by granule's writer, loaded as each named foreign machine
// would (platform/memory/simulated_machines.h): macOS on Intel and Apple silicon,
// Linux with 4, 16 and 64 KiB pages, Windows, Cygwin through the Win32 calls
// and as its POSIX layer reports itself, and 256 KiB pages. A 64 KiB-aligned
// image takes the shared path wherever both units divide 64 KiB; an image
// aligned to only 4 KiB is refused there with the reason and loads by the
// malloc path. Either way the bytes and protections match a reference load,
// and nothing stays alive on the simulated machine after release.
#include <map>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loader/writer/image_writer.h"
#include "loader/loaded_image.h"
#include "platform/memory/simulated_machines.h"
#include "testing/temp_file.h"
#include "testing/fault_injecting_backend.h"

namespace granule {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using Choice = LoadOptions::PathChoice;

constexpr uint64_t kKiB = 1024;
constexpr uint64_t kBase = 0x10000000;  // A base every ELF32 word can hold.
const std::string kConstants = "the same bytes on every machine";

// R, RX and RW segments; .data holds relocated words, .bss makes the RW
// segment end in zero-filled memory past the file's bytes.
ImageSpec ForeignSpec(ElfVariant variant, Layout layout, uint64_t alignment) {
  ImageSpec spec;
  spec.variant = variant;
  spec.layout = layout;
  spec.segment_alignment = alignment;
  spec.os_abi = elf::kOsAbiGuile;
  const uint64_t word = variant.word_size();
  spec.sections = {
      {".rodata", SectionAccess::kRead, 16,
       std::vector<uint8_t>(kConstants.begin(), kConstants.end()), 0},
      {".text", SectionAccess::kReadExecute, 16,
       granule::testing::PatternBytes(5000, 11), 0},
      {".data", SectionAccess::kReadWrite, 8,
       granule::testing::PatternBytes(6 * word, 5), 0},
      {".bss", SectionAccess::kReadWrite, 8, {}, 0x2800},
  };
  spec.relocations = {{{".data", 0}, {".rodata", 0}},
                      {{".data", 2 * word}, {".bss", 8}}};
  return spec;
}

std::string WriteSpecOrFail(const ImageSpec& spec) {
  const std::string path = granule::testing::TempPath("foreign");
  const absl::Status written = WriteImage(spec, path);
  EXPECT_TRUE(written.ok()) << written;
  return path;
}

absl::StatusOr<std::unique_ptr<LoadedImage>> Load(const std::string& path,
                                                  MemoryBackend* machine,
                                                  Choice choice) {
  LoadOptions options;
  options.shared_backend = machine;
  options.path = choice;
  options.relocation_base = kBase;  // So loads compare byte for byte.
  options.allow_execute = true;     // So RX shows apart from R.
  return LoadImage(path, options);
}

// Where protections are compared: every 4 KiB, the finest page here, and
// the last byte.
std::vector<uint64_t> ProbeOffsets(uint64_t size) {
  std::vector<uint64_t> offsets;
  for (uint64_t at = 0; at < size; at += 4 * kKiB) offsets.push_back(at);
  if (size != 0) offsets.push_back(size - 1);
  return offsets;
}

// Equal bytes in every segment, and equal recorded protections throughout.
void ExpectSameLoad(const LoadedImage& actual, const LoadedImage& reference) {
  ASSERT_EQ(actual.segments().size(), reference.segments().size());
  for (size_t i = 0; i < actual.segments().size(); ++i) {
    const LoadedImage::LoadedSegment& a = actual.segments()[i];
    const LoadedImage::LoadedSegment& r = reference.segments()[i];
    ASSERT_EQ(a.size, r.size) << "segment " << i;
    EXPECT_EQ(std::vector<uint8_t>(a.data, a.data + a.size),
              std::vector<uint8_t>(r.data, r.data + r.size))
        << "segment " << i << " bytes differ";
    for (uint64_t at : ProbeOffsets(a.size)) {
      ASSERT_EQ(
          actual.ProtectionAt(reinterpret_cast<uintptr_t>(a.data + at)),
          reference.ProtectionAt(reinterpret_cast<uintptr_t>(r.data + at)))
          << "segment " << i << " offset 0x" << std::hex << at;
    }
  }
}

// The writer's segments in order, and what the loader must leave them as.
void ExpectGuileShapedProtections(const LoadedImage& image) {
  const std::vector<Protection> expected = {
      Protection::kRead, Protection::kReadExecute, Protection::kReadWrite};
  ASSERT_EQ(image.segments().size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    const LoadedImage::LoadedSegment& s = image.segments()[i];
    EXPECT_EQ(s.protection, expected[i]) << "segment " << i;
    EXPECT_EQ(image.ProtectionAt(reinterpret_cast<uintptr_t>(s.data)),
              expected[i])
        << "segment " << i;
  }
  const absl::StatusOr<absl::Span<const uint8_t>> constants =
      image.SectionBytes(".rodata");
  ASSERT_TRUE(constants.ok()) << constants.status();
  EXPECT_EQ(std::string(constants->begin(), constants->end()), kConstants);
}

void ExpectNothingAlive(const SimulatedBackend& machine) {
  EXPECT_EQ(machine.live_regions(), 0u);
  EXPECT_EQ(machine.live_mappings(), 0u);
}

bool SplitUnits(const SimulatedMachine& machine) {
  return machine.allocation_granularity != machine.page_size;
}

std::string ParamName(const SimulatedMachine& machine) {
  std::string name = machine.name;
  for (char& c : name) {
    if (c == '-') c = '_';
  }
  return name;
}

// What each machine says of the 64 KiB-aligned image, when not "mapped":
// 256 KiB pages cannot divide it, and where the granularity is coarser than
// the page, a compact image's zero-filled .bss does not start on it.
std::string Expected64KiBRefusal(const SimulatedMachine& machine,
                                 Layout layout) {
  if (machine.page_size > 64 * kKiB) {
    return "page size 256 KiB does not divide p_align 64 KiB of program "
           "header 0 (page 256 KiB, allocation granularity 256 KiB)";
  }
  if (layout == Layout::kCompact && SplitUnits(machine)) {
    return "not on the 64 KiB allocation granularity";
  }
  return "";
}

// What each machine says of an image aligned to only 4 KiB, word for word;
// empty where it maps it. Every machine must have an entry.
const std::map<std::string, std::string>& Refusals4KiB() {
  static const auto* const refusals = new std::map<std::string, std::string>{
      {"linux-x86_64", ""},
      {"macos-x86_64", ""},
      {"macos-arm64",
       "page size 16 KiB does not divide p_align 4 KiB of program header 0 "
       "(page 16 KiB, allocation granularity 16 KiB)"},
      {"linux-arm64-16k",
       "page size 16 KiB does not divide p_align 4 KiB of program header 0 "
       "(page 16 KiB, allocation granularity 16 KiB)"},
      {"linux-ppc64le",
       "page size 64 KiB does not divide p_align 4 KiB of program header 0 "
       "(page 64 KiB, allocation granularity 64 KiB)"},
      {"linux-arm64-64k",
       "page size 64 KiB does not divide p_align 4 KiB of program header 0 "
       "(page 64 KiB, allocation granularity 64 KiB)"},
      {"windows-x86_64",
       "allocation granularity 64 KiB does not divide p_align 4 KiB of "
       "program header 0 (page 4 KiB, allocation granularity 64 KiB)"},
      {"cygwin-win32",
       "allocation granularity 64 KiB does not divide p_align 4 KiB of "
       "program header 0 (page 4 KiB, allocation granularity 64 KiB)"},
      {"cygwin-posix-layer",
       "page size 64 KiB does not divide p_align 4 KiB of program header 0 "
       "(page 64 KiB, allocation granularity 64 KiB)"},
      {"hypothetical-256k",
       "page size 256 KiB does not divide p_align 4 KiB of program header 0 "
       "(page 256 KiB, allocation granularity 256 KiB)"},
  };
  return *refusals;
}

TEST(SimulatedMachinesTest, NamesAreUniqueAndFound) {
  std::set<std::string> names;
  for (const SimulatedMachine& machine : SimulatedMachines()) {
    EXPECT_TRUE(names.insert(machine.name).second) << machine.name;
    EXPECT_EQ(FindSimulatedMachine(machine.name), &machine);
    EXPECT_EQ(MakeSimulatedBackend(machine)->geometry(), machine.geometry());
    EXPECT_EQ(Refusals4KiB().count(machine.name), 1u)
        << machine.name << " needs an expected reason here";
  }
  EXPECT_EQ(names.size(), Refusals4KiB().size());
  EXPECT_EQ(FindSimulatedMachine("vax"), nullptr);
}

// Granule takes the Win32 calls on Cygwin; the other view stays for what a
// runtime on Cygwin's mmap meets.
TEST(SimulatedMachinesTest, CygwinHasTwoViewsOfOneMachine) {
  const SimulatedMachine* win32 = FindSimulatedMachine("cygwin-win32");
  const SimulatedMachine* posix = FindSimulatedMachine("cygwin-posix-layer");
  ASSERT_NE(win32, nullptr);
  ASSERT_NE(posix, nullptr);
  EXPECT_EQ(win32->backend, HostBackendKind::kWindows);
  EXPECT_STREQ(HostBackendKindName(win32->backend), "windows");
  EXPECT_TRUE(win32->granule_runs_this_view);
  EXPECT_EQ(win32->geometry(), *PageGeometry::Create(4 * kKiB, 64 * kKiB));
  EXPECT_EQ(posix->backend, HostBackendKind::kPosix);
  EXPECT_FALSE(posix->granule_runs_this_view);
  EXPECT_EQ(posix->geometry(), *PageGeometry::Create(64 * kKiB, 64 * kKiB));
}

using Param = std::tuple<const SimulatedMachine*, ElfVariant, Layout>;

class ForeignMachineTest : public ::testing::TestWithParam<Param> {
 protected:
  const SimulatedMachine& machine() const { return *std::get<0>(GetParam()); }
  std::string WriteAligned(uint64_t alignment) const {
    return WriteSpecOrFail(ForeignSpec(std::get<1>(GetParam()),
                                       std::get<2>(GetParam()), alignment));
  }
};

TEST_P(ForeignMachineTest, ImageAlignedTo64KiBMatchesTheMallocPath) {
  const std::string path = WriteAligned(64 * kKiB);
  const std::unique_ptr<SimulatedBackend> simulated =
      MakeSimulatedBackend(machine());
  absl::StatusOr<std::unique_ptr<LoadedImage>> reference =
      Load(path, nullptr, Choice::kMalloc);
  ASSERT_TRUE(reference.ok()) << reference.status();
  ExpectGuileShapedProtections(**reference);

  absl::StatusOr<std::unique_ptr<LoadedImage>> image =
      Load(path, simulated.get(), Choice::kAuto);
  ASSERT_TRUE(image.ok()) << image.status();
  const std::string refusal =
      Expected64KiBRefusal(machine(), std::get<2>(GetParam()));
  if (refusal.empty()) {
    EXPECT_EQ((*image)->path(), LoadPath::kShared) << (*image)->reason();
    EXPECT_EQ(&(*image)->backend(), simulated.get());
    EXPECT_EQ(simulated->live_regions(), 1u);
    EXPECT_GE(simulated->live_mappings(), 1u);
  } else if (machine().page_size > 64 * kKiB) {
    // Every segment shares the one 256 KiB page: nothing could be mapped.
    EXPECT_EQ((*image)->path(), LoadPath::kMalloc);
    EXPECT_EQ((*image)->verdict().route, LoadRoute::kCopy);
    EXPECT_THAT((*image)->reason(), HasSubstr(refusal));
  } else {
    // The compact .bss off Windows' granularity: its unit is copied in
    // place, the rest mapped.
    const LoadVerdict& verdict = (*image)->verdict();
    EXPECT_EQ(verdict.route, LoadRoute::kPerSegment) << (*image)->reason();
    EXPECT_GT(verdict.bytes_mapped, 0u);
    EXPECT_GT(verdict.bytes_copied, 0u);
    EXPECT_EQ(&(*image)->backend(), simulated.get());
    EXPECT_THAT((*image)->reason(), HasSubstr(refusal));
  }
  ExpectGuileShapedProtections(**image);
  ExpectSameLoad(**image, **reference);
  image->reset();
  ExpectNothingAlive(*simulated);
}

TEST_P(ForeignMachineTest, ImageAlignedTo4KiBIsRefusedWithTheReason) {
  const std::string path = WriteAligned(4 * kKiB);
  const std::string& refusal = Refusals4KiB().at(machine().name);
  // The reference: a 4 KiB-page machine maps this image.
  const std::unique_ptr<SimulatedBackend> x86 =
      MakeSimulatedBackend(*FindSimulatedMachine("linux-x86_64"));
  absl::StatusOr<std::unique_ptr<LoadedImage>> reference =
      Load(path, x86.get(), Choice::kShared);
  ASSERT_TRUE(reference.ok()) << reference.status();
  ExpectGuileShapedProtections(**reference);

  const std::unique_ptr<testing::FaultInjectingBackend> simulated =
      testing::MakeFaultInjectingBackend(machine());
  absl::StatusOr<std::unique_ptr<LoadedImage>> image =
      Load(path, simulated.get(), Choice::kAuto);
  ASSERT_TRUE(image.ok()) << image.status();
  if (refusal.empty()) {
    EXPECT_EQ((*image)->path(), LoadPath::kShared) << (*image)->reason();
    EXPECT_EQ(simulated->live_regions(), 1u);
  } else {
    EXPECT_EQ((*image)->path(), LoadPath::kMalloc);
    EXPECT_EQ((*image)->reason(), refusal);
    EXPECT_EQ(simulated->calls(), 0u);  // Refused before any system call.
  }
  ExpectSameLoad(**image, **reference);
  image->reset();
  ExpectNothingAlive(*simulated);

  absl::StatusOr<std::unique_ptr<LoadedImage>> required =
      Load(path, simulated.get(), Choice::kShared);
  if (refusal.empty()) {
    EXPECT_TRUE(required.ok()) << required.status();
  } else {
    EXPECT_EQ(required.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_EQ(required.status().message(),
              path + ": the shared path is required but " + refusal);
  }
  if (required.ok()) required->reset();
  ExpectNothingAlive(*simulated);
}

struct Outcome {
  LoadPath path;
  std::string reason;
};

// Loads a little-endian ELF64 1:1 image aligned to `alignment` on the named
// machine, releases it and checks nothing is left alive there.
Outcome LoadOn(const char* machine_name, uint64_t alignment) {
  const SimulatedMachine* machine = FindSimulatedMachine(machine_name);
  EXPECT_NE(machine, nullptr) << machine_name;
  if (machine == nullptr) return {LoadPath::kMalloc, "no such machine"};
  const std::string path = WriteSpecOrFail(
      ForeignSpec(ElfVariant{true, false}, Layout::kOneToOne, alignment));
  const std::unique_ptr<SimulatedBackend> simulated =
      MakeSimulatedBackend(*machine);
  absl::StatusOr<std::unique_ptr<LoadedImage>> image =
      Load(path, simulated.get(), Choice::kAuto);
  EXPECT_TRUE(image.ok()) << image.status();
  if (!image.ok()) return {LoadPath::kMalloc, image.status().ToString()};
  Outcome outcome = {(*image)->path(), (*image)->reason()};
  image->reset();
  ExpectNothingAlive(*simulated);
  return outcome;
}

// Cygwin's getpagesize() reports its 64 KiB allocation granularity as the
// page size, so a runtime on Cygwin's mmap refuses a 4 KiB-aligned image
// although the Win32 page is 4 KiB. Granule's Win32 view refuses it too, for
// the granularity. A 64 KiB-aligned image maps in both views.
TEST(CygwinTest, FourKiBAlignmentIsRefusedInBothViews) {
  EXPECT_EQ(FindSimulatedMachine("cygwin-win32")->page_size, 4 * kKiB);
  const Outcome posix = LoadOn("cygwin-posix-layer", 4 * kKiB);
  EXPECT_EQ(posix.path, LoadPath::kMalloc);
  EXPECT_THAT(posix.reason,
              StartsWith("page size 64 KiB does not divide p_align 4 KiB"));
  const Outcome win32 = LoadOn("cygwin-win32", 4 * kKiB);
  EXPECT_EQ(win32.path, LoadPath::kMalloc);
  EXPECT_THAT(win32.reason, StartsWith("allocation granularity 64 KiB does "
                                       "not divide p_align 4 KiB"));
  for (const char* view : {"cygwin-posix-layer", "cygwin-win32"}) {
    const Outcome aligned = LoadOn(view, 64 * kKiB);
    EXPECT_EQ(aligned.path, LoadPath::kShared)
        << view << ": " << aligned.reason;
  }
}

// Apple silicon has 16 KiB pages; Intel Macs 4 KiB.
TEST(MacosTest, AppleSiliconRefusesFourKiBAlignmentAndIntelMapsIt) {
  const Outcome arm64 = LoadOn("macos-arm64", 4 * kKiB);
  EXPECT_EQ(arm64.path, LoadPath::kMalloc);
  EXPECT_THAT(arm64.reason,
              StartsWith("page size 16 KiB does not divide p_align 4 KiB"));
  const Outcome intel = LoadOn("macos-x86_64", 4 * kKiB);
  EXPECT_EQ(intel.path, LoadPath::kShared) << intel.reason;
  for (const char* mac : {"macos-arm64", "macos-x86_64"}) {
    const Outcome aligned = LoadOn(mac, 64 * kKiB);
    EXPECT_EQ(aligned.path, LoadPath::kShared) << mac << ": " << aligned.reason;
  }
}

std::string Name(const ::testing::TestParamInfo<Param>& info) {
  const auto [machine, variant, layout] = info.param;
  return ParamName(*machine) + "_" + (variant.is64 ? "Elf64" : "Elf32") +
         (variant.big_endian ? "Big" : "Little") +
         (layout == Layout::kOneToOne ? "OneToOne" : "Compact");
}

std::vector<const SimulatedMachine*> AllMachines() {
  std::vector<const SimulatedMachine*> machines;
  for (const SimulatedMachine& m : SimulatedMachines()) machines.push_back(&m);
  return machines;
}

INSTANTIATE_TEST_SUITE_P(
    EveryMachine, ForeignMachineTest,
    ::testing::Combine(::testing::ValuesIn(AllMachines()),
                       ::testing::ValuesIn(kAllVariants),
                       ::testing::Values(Layout::kOneToOne, Layout::kCompact)),
    Name);

}  // namespace
}  // namespace granule
