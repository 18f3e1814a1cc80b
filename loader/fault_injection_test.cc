// SPDX-License-Identifier: Apache-2.0
// Fault injection over every load path. Each configuration (an image, a
// machine, a path) is loaded once to count the raw backend calls a successful
// load makes; then for k = 1, 2, ... the k-th call is failed until the load
// succeeds. Every failed load must return the injected error naming the file
// and leave nothing behind: no region or mapping in either backend's ledger,
// no open file, no image in the registry. Failures that are not backend calls
// (an init hook, a bad relocation) are held to the same rule. The sweep runs
// again with the shared path's range carved from an AddressArena, new for
// each load so that its first region's reservation is a fault point too.
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loader/image_registry.h"
#include "loader/writer/image_writer.h"
#include "loader/loaded_image.h"
#include "loader/elf/relocation_types.h"
#include "platform/memory/address_arena.h"
#include "platform/memory/simulated_machines.h"
#include "testing/open_files.h"
#include "testing/raw_elf.h"
#include "testing/temp_file.h"
#include "testing/fault_injecting_backend.h"

namespace granule {
namespace {

using ::granule::testing::RawElf;
using ::granule::testing::RawRelocations;
using ::testing::HasSubstr;
using Choice = LoadOptions::PathChoice;

constexpr uint64_t kElf32Base = 0x10000000;  // Fits every ELF32 word.

// Printed once at the end: the figures docs/reliability.md quotes.
struct Totals {
  int configurations = 0;
  uint64_t fault_points = 0;
  int other_failures = 0;  // Init hooks and relocations that fail.
};
Totals& totals() {
  static Totals* const t = new Totals;
  return *t;
}

class SummaryPrinter : public ::testing::Environment {
 public:
  void TearDown() override {
    std::printf(
        "fault injection summary: %llu fault points over %d configurations, "
        "%d init-hook and relocation failures\n",
        static_cast<unsigned long long>(totals().fault_points),
        totals().configurations, totals().other_failures);
  }
};
::testing::Environment* const kSummary =
    ::testing::AddGlobalTestEnvironment(new SummaryPrinter);

// How the image reaches memory: a simulated machine's shared path (or its
// refusal and the malloc fallback), or the malloc path on request.
struct Route {
  const char* name;
  const char* machine;  // A SimulatedMachines() name.
  Choice choice;
};
const Route kRoutes[] = {
    {"linux_4k", "linux-x86_64", Choice::kAuto},
    {"linux_16k", "linux-arm64-16k", Choice::kAuto},
    {"linux_64k", "linux-arm64-64k", Choice::kAuto},
    {"windows_4k_64k", "windows-x86_64", Choice::kAuto},
    {"malloc", "linux-x86_64", Choice::kMalloc},
    {"fallback_256k", "hypothetical-256k", Choice::kAuto},
};

// An image from granule's writer, or (`relro`) a hand-made one with a
// PT_GNU_RELRO, which the writer does not emit.
struct ImageCase {
  ElfVariant variant;
  Layout layout;
  RelocationFormat format;
  bool relro;
  // Segments aligned to 4 KiB and large enough that 16 and 64 KiB pages
  // hold some of them alone: the per-segment route there.
  bool small_alignment = false;
};

std::string CaseName(const ImageCase& c) {
  if (c.relro) return "raw_relro";
  if (c.small_alignment) return "elf64le_1to1_rela_4k_aligned";
  static const char* const kFormats[] = {"rela", "rel", "relr"};
  return std::string(c.variant.is64 ? "elf64" : "elf32") +
         (c.variant.big_endian ? "be" : "le") + "_" +
         (c.layout == Layout::kOneToOne ? "1to1" : "compact") + "_" +
         kFormats[static_cast<int>(c.format)];
}

// R, RX and RW segments; relocated words in .data; .bss zero-filled past the
// file's bytes.
ImageSpec WriterSpec(const ImageCase& c) {
  ImageSpec spec;
  spec.variant = c.variant;
  spec.layout = c.layout;
  spec.relocation_format = c.format;
  spec.os_abi = elf::kOsAbiGuile;
  const uint64_t word = c.variant.word_size();
  spec.sections = {
      {".rodata", SectionAccess::kRead, 16,
       granule::testing::PatternBytes(3000, 3), 0},
      {".text", SectionAccess::kReadExecute, 16,
       granule::testing::PatternBytes(5000, 11), 0},
      {".data", SectionAccess::kReadWrite, 8,
       granule::testing::PatternBytes(6 * word, 5), 0},
      {".bss", SectionAccess::kReadWrite, 8, {}, 0x2800},
  };
  if (c.small_alignment) {
    spec.segment_alignment = 4096;
    spec.sections[0].bytes = granule::testing::PatternBytes(100 * 1024, 3);
    spec.sections[2].bytes = granule::testing::PatternBytes(100 * 1024, 5);
  }
  spec.relocations = {{{".data", 0}, {".rodata", 0}},
                      {{".data", word}, {".text", 16}},
                      {{".data", 2 * word}, {".bss", 8}}};
  return spec;
}

// Two segments, a zero-filled tail in RW and its first page under RELRO.
RawElf RelroImage() {
  RawElf elf = granule::testing::RelocatedImage(
      ElfVariant{}, RawRelocations::kRela, elf::kMachineNone, kGranuleRelative);
  elf.segments[1].memsz = 0x3000;
  elf.segments.push_back(
      {0, elf::kPtGnuRelro, elf::kPfR, 0x10000, 0x10000, 0x1000, 0x1000, 1});
  return elf;
}

std::string WriteRaw(const RawElf& elf) {
  absl::StatusOr<std::string> path =
      granule::testing::WriteTempFile("raw", elf.Encode());
  EXPECT_TRUE(path.ok()) << path.status();
  return path.value_or("");
}

// Each image is written once per process.
const std::string& ImagePath(const ImageCase& c) {
  static auto* const paths = new std::map<std::string, std::string>;
  std::string& path = (*paths)[CaseName(c)];
  if (!path.empty()) return path;
  if (c.relro) {
    path = WriteRaw(RelroImage());
  } else {
    path = granule::testing::TempPath(CaseName(c));
    const absl::Status written = WriteImage(WriterSpec(c), path);
    EXPECT_TRUE(written.ok()) << written;
  }
  return path;
}

std::vector<ImageCase> AllImages() {
  std::vector<ImageCase> cases;
  for (bool is64 : {true, false}) {
    for (bool big : {false, true}) {
      for (Layout layout : {Layout::kOneToOne, Layout::kCompact}) {
        for (RelocationFormat format :
             {RelocationFormat::kRela, RelocationFormat::kRel,
              RelocationFormat::kRelr}) {
          cases.push_back({ElfVariant{is64, big}, layout, format, false});
        }
      }
    }
  }
  cases.push_back({ElfVariant{}, Layout::kOneToOne, RelocationFormat::kRela,
                   /*relro=*/false, /*small_alignment=*/true});
  // Last: LateFailureTest loads it.
  cases.push_back({ElfVariant{}, Layout::kOneToOne, RelocationFormat::kRela,
                   /*relro=*/true});
  return cases;
}

// Both backends simulated, so both keep a ledger and either can fail.
struct Machines {
  explicit Machines(const Route& route)
      : shared(testing::MakeFaultInjectingBackend(*FindSimulatedMachine(route.machine))),
        heap(*PageGeometry::Create(1, 1)) {}
  std::unique_ptr<testing::FaultInjectingBackend> shared;
  testing::FaultInjectingBackend heap;
};

// The zero-filled tail of every segment must read as zeros when init runs.
absl::Status CheckZeroTails(const LoadedImage& image) {
  for (const LoadedImage::LoadedSegment& s : image.segments()) {
    for (uint64_t i = s.header->filesz; i < s.size; ++i) {
      if (s.data[i] != 0) {
        return absl::InternalError(absl::StrCat("byte ", i, " not zero"));
      }
    }
  }
  return absl::OkStatus();
}

LoadOptions OptionsFor(const ImageCase& c, const Route& route,
                       Machines& machines) {
  LoadOptions options;
  options.path = route.choice;
  options.shared_backend = machines.shared.get();
  options.malloc_backend = &machines.heap;
  options.allow_execute = true;
  if (!c.variant.is64) options.relocation_base = kElf32Base;
  options.init = CheckZeroTails;
  return options;
}

// What must hold after any failed load.
struct Baseline {
  size_t open_files;
  size_t registered;
};

Baseline TakeBaseline() {
  absl::StatusOr<size_t> files = granule::testing::OpenFileCount();
  EXPECT_TRUE(files.ok()) << files.status();
  return {files.value_or(0), ImageRegistry::Global().size()};
}

void ExpectNothingLeft(const Machines& machines, const Baseline& baseline,
                       const std::string& context,
                       const AddressArena* arena = nullptr) {
  // An arena keeps its regions; none of its slots may stay.
  const AddressArena::Usage usage =
      arena != nullptr ? arena->usage() : AddressArena::Usage{};
  EXPECT_EQ(usage.live_slots, 0u) << context;
  EXPECT_EQ(machines.shared->live_regions(), usage.regions) << context;
  EXPECT_EQ(machines.shared->live_mappings(), 0u) << context;
  EXPECT_EQ(machines.heap.live_regions(), 0u) << context;
  EXPECT_EQ(machines.heap.live_mappings(), 0u) << context;
  EXPECT_EQ(granule::testing::OpenFileCount().value_or(0), baseline.open_files)
      << context;
  EXPECT_EQ(ImageRegistry::Global().size(), baseline.registered) << context;
}

// Where the loader must put the image: the request for malloc takes the
// heap; 256 KiB pages hold every segment of these small images in one page,
// so nothing could be mapped and they take the heap too. A compact image's
// .bss, and the RELRO image's zero tail at 0x11000, are off the 64 KiB
// granularity of Windows: the per-segment route maps what it can there and
// copies that unit in place. The 4 KiB-aligned image is mapped whole only
// where both units are 4 KiB, and segment by segment up to 64 KiB.
LoadRoute ExpectedRoute(const ImageCase& c, const Route& route) {
  const SimulatedMachine& machine = *FindSimulatedMachine(route.machine);
  const bool split_units = machine.page_size != machine.allocation_granularity;
  if (route.choice == Choice::kMalloc || machine.page_size > 0x10000) {
    return LoadRoute::kCopy;
  }
  if (c.small_alignment) {
    return machine.page_size == 4096 && !split_units ? LoadRoute::kSharedWhole
                                                     : LoadRoute::kPerSegment;
  }
  if ((c.layout == Layout::kCompact || c.relro) && split_units) {
    return LoadRoute::kPerSegment;
  }
  return LoadRoute::kSharedWhole;
}

class FaultSweepTest
    : public ::testing::TestWithParam<std::tuple<ImageCase, Route, bool>> {};

TEST_P(FaultSweepTest, EveryFailedCallLeavesNothingBehind) {
  const auto& [image_case, route, with_arena] = GetParam();
  const std::string& path = ImagePath(image_case);
  Machines machines(route);
  LoadOptions options = OptionsFor(image_case, route, machines);
  const auto new_arena = [&, with_arena = with_arena] {
    options.arena = with_arena ? AddressArena::Create(*machines.shared)
                               : nullptr;
  };
  new_arena();
  const Baseline baseline = TakeBaseline();

  const uint64_t shared_before = machines.shared->calls();
  const uint64_t heap_before = machines.heap.calls();
  {
    absl::StatusOr<std::unique_ptr<LoadedImage>> image =
        LoadImage(path, options);
    ASSERT_TRUE(image.ok()) << image.status();
    ASSERT_EQ((*image)->verdict().route, ExpectedRoute(image_case, route))
        << (*image)->reason();
    ASSERT_EQ((*image)->path() == LoadPath::kMalloc,
              ExpectedRoute(image_case, route) == LoadRoute::kCopy);
  }
  ExpectNothingLeft(machines, baseline, "after a successful load",
                    options.arena.get());
  new_arena();
  const uint64_t shared_calls = machines.shared->calls() - shared_before;
  const uint64_t heap_calls = machines.heap.calls() - heap_before;
  // One backend serves a load; the other is not even reserved on.
  ASSERT_TRUE(shared_calls == 0 || heap_calls == 0)
      << shared_calls << " shared and " << heap_calls << " heap calls";
  testing::FaultInjectingBackend& used = shared_calls ? *machines.shared : machines.heap;
  const uint64_t calls = shared_calls + heap_calls;
  ASSERT_GE(calls, 3u);  // Reserve, map R, map RW at least.

  for (uint64_t k = 1;; ++k) {
    used.FailNthCallFromNow(k);
    absl::StatusOr<std::unique_ptr<LoadedImage>> image =
        LoadImage(path, options);
    used.FailNthCallFromNow(0);  // Disarm when the load made fewer calls.
    if (image.ok()) {
      EXPECT_EQ(k, calls + 1)
          << "the load succeeded with call " << k << " failed";
      break;
    }
    const std::string context = absl::StrCat("call ", k, " of ", calls);
    const absl::Status status = image.status();
    EXPECT_THAT(status.message(), HasSubstr("injected failure")) << context;
    EXPECT_THAT(status.message(), HasSubstr(path)) << context;
    ExpectNothingLeft(machines, baseline, context, options.arena.get());
    new_arena();
    ++totals().fault_points;
    ASSERT_LE(k, calls) << "more calls failed than a load makes";
  }
  ++totals().configurations;
}

INSTANTIATE_TEST_SUITE_P(AllPaths, FaultSweepTest,
                         ::testing::Combine(::testing::ValuesIn(AllImages()),
                                            ::testing::ValuesIn(kRoutes),
                                            ::testing::Bool()),
                         [](const auto& info) {
                           return CaseName(std::get<0>(info.param)) + "_" +
                                  std::get<1>(info.param).name +
                                  (std::get<2>(info.param) ? "_arena" : "");
                         });

// Failures after the memory is mapped that are not the backend's: the same
// nothing must stay behind.
class LateFailureTest : public ::testing::TestWithParam<Route> {
 protected:
  // Loads `path` expecting an error containing `expected`, after the load
  // had made backend calls.
  void ExpectCleanFailure(const std::string& path, LoadOptions options,
                          const std::string& expected) {
    Machines machines(GetParam());
    options.path = GetParam().choice;
    options.shared_backend = machines.shared.get();
    options.malloc_backend = &machines.heap;
    const Baseline baseline = TakeBaseline();
    const uint64_t calls_before =
        machines.shared->calls() + machines.heap.calls();
    absl::StatusOr<std::unique_ptr<LoadedImage>> image =
        LoadImage(path, options);
    ASSERT_FALSE(image.ok());
    EXPECT_THAT(image.status().message(), HasSubstr(expected));
    EXPECT_GT(machines.shared->calls() + machines.heap.calls(), calls_before)
        << "failed before anything was mapped: not the path under test";
    ExpectNothingLeft(machines, baseline, expected);
    ++totals().other_failures;
  }
};

LoadOptions FailingInit() {
  LoadOptions options;
  options.allow_execute = true;
  options.init = [](const LoadedImage& image) {
    return absl::AbortedError(absl::StrCat("init bytecode failed after ",
                                           image.relocations_applied(),
                                           " relocations"));
  };
  return options;
}

TEST_P(LateFailureTest, FailingInitHook) {
  const ImageCase writer = {ElfVariant{}, Layout::kOneToOne,
                            RelocationFormat::kRelr, false};
  ExpectCleanFailure(ImagePath(writer), FailingInit(),
                     "init bytecode failed after 3 relocations");
  ExpectCleanFailure(ImagePath(AllImages().back()), FailingInit(),
                     "init bytecode failed after 2 relocations");
}

TEST_P(LateFailureTest, RelocationOfAnUnknownType) {
  const std::string path = WriteRaw(granule::testing::RelocatedImage(
      ElfVariant{}, RawRelocations::kRela, elf::kMachineNone,
      kGranuleRelative + 7));
  ExpectCleanFailure(path, {},
                     path +
                         ": DT_RELA entry 0: type 8, symbol 0 at r_offset "
                         "0x10000 is not a relative relocation");
}

TEST_P(LateFailureTest, RelocationOfAReadOnlyWord) {
  RawElf elf = granule::testing::RelocatedImage(
      ElfVariant{}, RawRelocations::kRel, elf::kMachineNone, kGranuleRelative);
  elf.PutRel(granule::testing::kRelocationTable, {0x10000, 0x100},
             kGranuleRelative);
  const std::string path = WriteRaw(elf);
  ExpectCleanFailure(path, {},
                     path +
                         ": DT_REL entry 1 at 0x100 (8 bytes) is in "
                         "program header 0");
}

INSTANTIATE_TEST_SUITE_P(AllPaths, LateFailureTest,
                         ::testing::ValuesIn(kRoutes), [](const auto& info) {
                           return std::string(info.param.name);
                         });

// The same on this machine's own backend, where the shared path maps the file
// for real: its ledger returns to where it was and no descriptor stays open.
TEST(HostLateFailureTest, NothingStaysMappedOrOpen) {
  absl::StatusOr<MemoryBackend*> host = HostMemoryBackend();
  ASSERT_TRUE(host.ok()) << host.status();
  const std::string bad_type = WriteRaw(granule::testing::RelocatedImage(
      ElfVariant{}, RawRelocations::kRela, elf::kMachineNone,
      kGranuleRelative + 7));
  const std::string relro = ImagePath(AllImages().back());
  // kAuto: shared where the host takes the image (on Windows' 64 KiB
  // granularity the RELRO image's zero tail is refused and goes to malloc).
  for (Choice choice : {Choice::kAuto, Choice::kMalloc}) {
    for (const auto& [path, options, expected] :
         {std::make_tuple(relro, FailingInit(),
                          std::string("init bytecode failed")),
          std::make_tuple(bad_type, LoadOptions{},
                          std::string("not a relative relocation"))}) {
      LoadOptions with_path = options;
      with_path.path = choice;
      const Baseline baseline = TakeBaseline();
      const size_t regions = (*host)->live_regions();
      const size_t mappings = (*host)->live_mappings();
      absl::StatusOr<std::unique_ptr<LoadedImage>> image =
          LoadImage(path, with_path);
      EXPECT_THAT(std::string(image.status().message()), HasSubstr(expected));
      EXPECT_EQ((*host)->live_regions(), regions);
      EXPECT_EQ((*host)->live_mappings(), mappings);
      EXPECT_EQ(granule::testing::OpenFileCount().value_or(0),
                baseline.open_files);
      EXPECT_EQ(ImageRegistry::Global().size(), baseline.registered);
      ++totals().other_failures;
    }
  }
}

}  // namespace
}  // namespace granule
