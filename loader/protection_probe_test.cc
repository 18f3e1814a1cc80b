// SPDX-License-Identifier: Apache-2.0
// The protections a load sets are the ones the hardware enforces: writing a
// read-only or RELRO page and executing a page that is not executable really
// fault, probed after the load has finished (relocations applied, RELRO made
// read-only). Runs on every machine of the matrix, including the 16 KiB and
// 64 KiB kernels of testing/vm.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "loader/elf/byte_order.h"
#include "loader/loaded_image.h"
#include "loader/elf/relocation_types.h"
#include "testing/fault_probe.h"
#include "testing/raw_elf.h"
#include "testing/temp_file.h"

namespace granule {
namespace {

using ::granule::testing::ExecuteFaults;
using ::granule::testing::RawElf;
using ::granule::testing::ReadFaults;
using ::granule::testing::WriteFaults;
using Choice = LoadOptions::PathChoice;

// Image addresses. Every segment and the RELRO range are 64 KiB, so each is
// made of whole pages on every page size up to 64 KiB.
constexpr uint64_t kRodata = 0x100, kText = 0x10000, kRelro = 0x20000,
                   kData = 0x30000, kEnd = 0x40000;
constexpr uint64_t kDynamic = 0x800, kRelocations = 0x900;
constexpr uint64_t kPage = 0x10000;

ElfVariant HostVariant() {
  const uint16_t one = 1;
  return {sizeof(void*) == 8, *reinterpret_cast<const uint8_t*>(&one) == 0};
}

// R [0, 64K) holding .rodata, .dynamic and the relocations; RX [64K, 128K)
// holding .text; RW [128K, 256K) whose first 64 KiB are PT_GNU_RELRO. A
// return instruction starts .rodata, .text and .data, so the only reason a
// call there can fault is the page's protection; one relocated word starts
// the RELRO range and one starts .data.
std::string WriteProbeImage() {
  const std::vector<uint8_t> ret = granule::testing::ReturnInstruction();
  RawElf elf;
  elf.variant = HostVariant();
  const uint32_t r = elf::kPfR, rx = r | elf::kPfX, rw = r | elf::kPfW;
  elf.segments = {
      {0, elf::kPtLoad, r, 0, 0, kPage, kPage, kPage},
      {0, elf::kPtLoad, rx, kText, kText, kPage, kPage, kPage},
      {0, elf::kPtLoad, rw, kRelro, kRelro, 2 * kPage, 2 * kPage, kPage},
      {0, elf::kPtGnuRelro, r, kRelro, kRelro, kPage, kPage, 1},
  };
  elf.body.resize(kEnd);
  const std::vector<uint64_t> places = {kRelro, kData};
  const uint64_t table_size =
      elf.PutRela(kRelocations, places, kGranuleRelative, {kRodata, kText});
  const uint64_t dynamic_size = elf.PutDynamic(
      kDynamic, {{elf::kDtRela, kRelocations},
                 {elf::kDtRelasz, table_size},
                 {elf::kDtRelaent, uint64_t(elf.variant.sizes().rela)}});
  elf.segments.push_back({0, elf::kPtDynamic, r, kDynamic, kDynamic,
                          dynamic_size, dynamic_size, 8});
  for (uint64_t at : {kRodata, kText, kData + 0x100}) elf.Put(at, ret);
  const uint64_t alloc = elf::kShfAlloc, write = alloc | elf::kShfWrite;
  elf.sections = {
      {".rodata", elf::kShtProgbits, alloc, kRodata, kRodata, 0x100, 8},
      {".text", elf::kShtProgbits, alloc | elf::kShfExecinstr, kText, kText,
       0x100, 16},
      {".data.rel.ro", elf::kShtProgbits, write, kRelro, kRelro, kPage, 8},
      {".data", elf::kShtProgbits, write, kData, kData, kPage, 8},
  };
  absl::StatusOr<std::string> path =
      granule::testing::WriteTempFile("probe.go", elf.Encode());
  EXPECT_TRUE(path.ok()) << path.status();
  return path.value_or("");
}

std::unique_ptr<LoadedImage> Load(Choice path, bool allow_execute) {
  LoadOptions options;
  options.path = path;
  options.allow_execute = allow_execute;
  absl::StatusOr<std::unique_ptr<LoadedImage>> image =
      LoadImage(WriteProbeImage(), options);
  EXPECT_TRUE(image.ok()) << image.status();
  return image.ok() ? *std::move(image) : nullptr;
}

uint64_t WordAt(const LoadedImage& image, uint64_t address) {
  const ElfVariant variant = image.elf().variant;
  return LoadUnsigned(image.Pointer(address, variant.word_size()),
                      variant.word_size(), variant.big_endian);
}

class ProtectionProbeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(granule::testing::ReturnInstruction().empty())
        << "the fault probe knows no return instruction for this machine";
  }
};

TEST_F(ProtectionProbeTest, SharedPathFaultsWhereProtectionsSay) {
  std::unique_ptr<LoadedImage> image = Load(Choice::kShared, true);
  ASSERT_NE(image, nullptr);
  ASSERT_TRUE(image->backend().traits().enforces_protection);
  uint8_t* rodata = image->Pointer(kRodata);
  uint8_t* text = image->Pointer(kText);
  uint8_t* relro = image->Pointer(kRelro);
  uint8_t* data = image->Pointer(kData + 0x100);

  EXPECT_FALSE(ReadFaults(rodata));
  EXPECT_TRUE(WriteFaults(rodata));
  EXPECT_TRUE(ExecuteFaults(rodata));

  EXPECT_FALSE(ReadFaults(text));
  EXPECT_TRUE(WriteFaults(text));
  EXPECT_FALSE(ExecuteFaults(text)) << "RX with allow_execute";

  // RELRO: written by the relocation, then read-only.
  EXPECT_EQ(WordAt(*image, kRelro), image->base() + kRodata);
  EXPECT_FALSE(ReadFaults(relro));
  EXPECT_TRUE(WriteFaults(relro));
  EXPECT_TRUE(ExecuteFaults(relro));
  EXPECT_EQ(image->ProtectionAt(reinterpret_cast<uintptr_t>(relro)),
            Protection::kRead);

  EXPECT_EQ(WordAt(*image, kData), image->base() + kText);
  EXPECT_FALSE(WriteFaults(data));
  EXPECT_TRUE(ExecuteFaults(data)) << "RW is never executable";
}

TEST_F(ProtectionProbeTest, WithoutAllowExecuteNothingExecutes) {
  std::unique_ptr<LoadedImage> image = Load(Choice::kShared, false);
  ASSERT_NE(image, nullptr);
  uint8_t* text = image->Pointer(kText);
  EXPECT_EQ(image->ProtectionAt(reinterpret_cast<uintptr_t>(text)),
            Protection::kRead);
  EXPECT_FALSE(ReadFaults(text));
  EXPECT_TRUE(ExecuteFaults(text));
  EXPECT_TRUE(WriteFaults(text));
}

// The malloc path records protections but cannot enforce them: what it
// reports and what the hardware does differ, as its traits say.
TEST_F(ProtectionProbeTest, MallocPathRecordsProtectionsOnly) {
  std::unique_ptr<LoadedImage> image = Load(Choice::kMalloc, false);
  ASSERT_NE(image, nullptr);
  EXPECT_FALSE(image->backend().traits().enforces_protection);
  uint8_t* relro = image->Pointer(kRelro);
  EXPECT_EQ(image->ProtectionAt(reinterpret_cast<uintptr_t>(relro)),
            Protection::kRead);
  EXPECT_FALSE(WriteFaults(relro));
  EXPECT_EQ(WordAt(*image, kRelro), image->base() + kRodata);
}

}  // namespace
}  // namespace granule
