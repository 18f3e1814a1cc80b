// SPDX-License-Identifier: Apache-2.0
// The writer and the loader together: every ELF variant, both layouts and all
// three relocation formats, loaded on simulated 4K, 16K, 64K and 256K-page
// machines and on this one, by the shared path where the machine allows and
// by the malloc path always. After relocation the two paths' memory must be
// byte-identical.
#include <string>
#include <tuple>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loader/elf/elf_image.h"
#include "loader/writer/image_writer.h"
#include "loader/loaded_image.h"
#include "platform/file.h"
#include "platform/page_geometry.h"
#include "platform/memory/simulated_backend.h"
#include "testing/temp_file.h"

namespace granule {
namespace {

using ::testing::HasSubstr;
using Choice = LoadOptions::PathChoice;

constexpr uint64_t kBase = 0x10000000;  // A base every ELF32 word can hold.
const std::string kConstants = "constants: 64 KiB apart, shared by all";

std::vector<uint8_t> Bytes(const std::string& s) {
  return std::vector<uint8_t>(s.begin(), s.end());
}

ImageSpec SampleSpec(ElfVariant variant, Layout layout,
                     RelocationFormat format) {
  ImageSpec spec;
  spec.variant = variant;
  spec.layout = layout;
  spec.relocation_format = format;
  spec.os_abi = elf::kOsAbiGuile;
  const uint64_t w = variant.word_size();
  spec.sections = {
      {".rodata", SectionAccess::kRead, 16, Bytes(kConstants), 0},
      {".text", SectionAccess::kReadExecute, 16,
       granule::testing::PatternBytes(300, 7), 0},
      {".data", SectionAccess::kReadWrite, 8,
       granule::testing::PatternBytes(8 * w, 3), 0},
      {".bss", SectionAccess::kReadWrite, 8, {}, 0x3000},
  };
  spec.relocations = {
      {{".data", 0}, {".rodata", 0}},
      {{".data", w}, {".text", 4}},
      {{".data", 3 * w}, {".data", 2 * w}},
      {{".data", 4 * w}, {".bss", 16}},
  };
  spec.dynamic = {{elf::kDtGuileVmVersion, 0x03000006, "", 0},
                  {elf::kDtGuileEntry, 0, ".text", 0}};
  return spec;
}

struct Machine {
  const char* name;
  uint64_t page, granularity;
};
constexpr Machine kMachines[] = {
    {"4K", 4096, 4096},
    {"16K", 16384, 16384},
    {"64K", 65536, 65536},
    {"256K", 262144, 262144},
};

using Param = std::tuple<ElfVariant, Layout, RelocationFormat>;

class RoundTripTest : public ::testing::TestWithParam<Param> {
 protected:
  void SetUp() override {
    const auto [variant, layout, format] = GetParam();
    path_ = granule::testing::TempPath("round_trip");
    ASSERT_TRUE(WriteImage(SampleSpec(variant, layout, format), path_).ok());
  }

  absl::StatusOr<std::unique_ptr<LoadedImage>> Load(
      MemoryBackend* machine, Choice choice,
      std::optional<uint64_t> base = kBase) const {
    LoadOptions options;
    options.shared_backend = machine;
    options.path = choice;
    options.relocation_base = base;
    return LoadImage(path_, options);
  }

  std::string path_;
};

uint64_t Word(const LoadedImage& image, uint64_t address) {
  const ElfVariant v = image.elf().variant;
  const uint8_t* p = image.Pointer(address, v.word_size());
  EXPECT_NE(p, nullptr) << address;
  return p ? LoadUnsigned(p, v.word_size(), v.big_endian) : 0;
}

void ExpectSameMemory(const LoadedImage& a, const LoadedImage& b) {
  ASSERT_EQ(a.segments().size(), b.segments().size());
  for (size_t i = 0; i < a.segments().size(); ++i) {
    const LoadedImage::LoadedSegment& x = a.segments()[i];
    const LoadedImage::LoadedSegment& y = b.segments()[i];
    ASSERT_EQ(x.size, y.size);
    EXPECT_EQ(std::vector<uint8_t>(x.data, x.data + x.size),
              std::vector<uint8_t>(y.data, y.data + y.size))
        << "segment " << i << " differs";
  }
}

TEST_P(RoundTripTest, EveryMachineAgreesWithTheMallocPath) {
  absl::StatusOr<std::unique_ptr<LoadedImage>> reference =
      Load(nullptr, Choice::kMalloc);
  ASSERT_TRUE(reference.ok()) << reference.status();
  const ElfImage& elf = (*reference)->elf();
  EXPECT_TRUE(elf.MeetsAlignmentContract());
  EXPECT_EQ((*reference)->relocations_applied(), 4u);

  for (const Machine& m : kMachines) {
    SCOPED_TRACE(m.name);
    SimulatedBackend machine(*PageGeometry::Create(m.page, m.granularity));
    absl::StatusOr<std::unique_ptr<LoadedImage>> image =
        Load(&machine, Choice::kAuto);
    ASSERT_TRUE(image.ok()) << image.status();
    if (m.page <= elf::kImageAlignment) {
      EXPECT_EQ((*image)->path(), LoadPath::kShared) << (*image)->reason();
    } else {
      EXPECT_EQ((*image)->path(), LoadPath::kMalloc);
      EXPECT_THAT((*image)->reason(),
                  HasSubstr("page size 256 KiB does not divide p_align "
                            "64 KiB"));
    }
    ExpectSameMemory(**image, **reference);
  }
}

TEST_P(RoundTripTest, RelocatedWordsPointAtTheirTargets) {
  absl::StatusOr<std::unique_ptr<LoadedImage>> image =
      Load(nullptr, Choice::kMalloc);
  ASSERT_TRUE(image.ok()) << image.status();
  const ElfImage& elf = (*image)->elf();
  const uint64_t data = elf.FindSection(".data")->addr;
  const uint64_t w = elf.variant.word_size();
  EXPECT_EQ(Word(**image, data), kBase + elf.FindSection(".rodata")->addr);
  EXPECT_EQ(Word(**image, data + w),
            kBase + elf.FindSection(".text")->addr + 4);
  EXPECT_EQ(Word(**image, data + 3 * w), kBase + data + 2 * w);
  EXPECT_EQ(Word(**image, data + 4 * w),
            kBase + elf.FindSection(".bss")->addr + 16);
  // Unrelocated words keep their bytes.
  EXPECT_EQ(
      Word(**image, data + 2 * w),
      LoadUnsigned(granule::testing::PatternBytes(8 * w, 3).data() + 2 * w, w,
                   elf.variant.big_endian));
  // .bss is zeros and really follows .data.
  const absl::StatusOr<absl::Span<const uint8_t>> bss =
      (*image)->SectionBytes(".bss");
  ASSERT_TRUE(bss.ok()) << bss.status();
  EXPECT_EQ(std::vector<uint8_t>(bss->begin(), bss->end()),
            std::vector<uint8_t>(0x3000, 0));
  EXPECT_EQ(elf.DynamicValue(elf::kDtGuileEntry),
            elf.FindSection(".text")->addr);
}

// With the real base, a relocated pointer leads to the constant's bytes.
TEST_P(RoundTripTest, RealPointersReachTheConstants) {
  if (!std::get<0>(GetParam()).is64 && sizeof(uintptr_t) > 4) {
    GTEST_SKIP() << "ELF32 words cannot hold this 64-bit host's addresses";
  }
  for (Choice choice : {Choice::kShared, Choice::kMalloc}) {
    absl::StatusOr<std::unique_ptr<LoadedImage>> image =
        Load(nullptr, choice, std::nullopt);
    if (choice == Choice::kShared) {
      // Where the host refuses the shared path (a compact image's .bss off
      // Windows' 64 KiB granularity), requiring it is that error.
      absl::StatusOr<File> file = File::OpenForReading(path_);
      ASSERT_TRUE(file.ok()) << file.status();
      absl::StatusOr<ElfImage> elf = ReadElfImage(*file);
      ASSERT_TRUE(elf.ok()) << elf.status();
      absl::StatusOr<LoadVerdict> host_verdict =
          CheckLoad(*elf, *HostPageGeometry());
      ASSERT_TRUE(host_verdict.ok()) << host_verdict.status();
      if (!host_verdict->shared_whole()) {
        ASSERT_FALSE(image.ok());
        EXPECT_THAT(std::string(image.status().message()),
                    HasSubstr(host_verdict->refusal->Message()));
        continue;
      }
    }
    ASSERT_TRUE(image.ok()) << image.status();
    const uint64_t data = (*image)->elf().FindSection(".data")->addr;
    const char* constants = reinterpret_cast<const char*>(
        static_cast<uintptr_t>(Word(**image, data)));
    EXPECT_EQ(std::string(constants, kConstants.size()), kConstants);
  }
}

std::string Name(const ::testing::TestParamInfo<Param>& info) {
  static const char* const kFormats[] = {"Rela", "Rel", "Relr"};
  const auto [variant, layout, format] = info.param;
  return std::string(variant.is64 ? "Elf64" : "Elf32") +
         (variant.big_endian ? "Big" : "Little") +
         (layout == Layout::kOneToOne ? "OneToOne" : "Compact") +
         kFormats[static_cast<int>(format)];
}

INSTANTIATE_TEST_SUITE_P(
    AllVariants, RoundTripTest,
    ::testing::Combine(::testing::ValuesIn(kAllVariants),
                       ::testing::Values(Layout::kOneToOne, Layout::kCompact),
                       ::testing::Values(RelocationFormat::kRela,
                                         RelocationFormat::kRel,
                                         RelocationFormat::kRelr)),
    Name);

// Windows places memory on 64 KiB: zero-filled memory past the file's last
// page must start there. The 1:1 writer covers .bss with a hole up to 64 KiB
// so it does; a compact image's .bss cannot, and falls back to a heap copy.
TEST(WindowsShapedMachineTest, BssIsPlaceableInTheOneToOneLayoutOnly) {
  SimulatedBackend windows(*PageGeometry::Create(4096, 65536));
  for (Layout layout : {Layout::kOneToOne, Layout::kCompact}) {
    const std::string path = granule::testing::TempPath("windows");
    ASSERT_TRUE(
        WriteImage(SampleSpec({true, false}, layout, RelocationFormat::kRela),
                   path)
            .ok());
    LoadOptions options;
    options.shared_backend = &windows;
    absl::StatusOr<std::unique_ptr<LoadedImage>> image =
        LoadImage(path, options);
    ASSERT_TRUE(image.ok()) << image.status();
    if (layout == Layout::kOneToOne) {
      EXPECT_EQ((*image)->path(), LoadPath::kShared) << (*image)->reason();
    } else {
      // The unit holding .data's end and .bss is copied in place; the rest
      // is mapped from the file.
      const LoadVerdict& verdict = (*image)->verdict();
      EXPECT_EQ(verdict.route, LoadRoute::kPerSegment) << (*image)->reason();
      EXPECT_GT(verdict.bytes_mapped, 0u);
      EXPECT_GT(verdict.bytes_copied, 0u);
      ASSERT_TRUE(verdict.refusal.has_value());
      EXPECT_EQ(verdict.refusal->kind, Refusal::Kind::kZeroFillOffUnit);
      EXPECT_THAT((*image)->reason(),
                  HasSubstr("not on the 64 KiB allocation granularity"));
    }
  }
}

}  // namespace
}  // namespace granule
