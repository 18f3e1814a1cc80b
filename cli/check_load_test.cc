// SPDX-License-Identifier: Apache-2.0
// `granule check` and `granule load` as functions, on images written here.
#include <string>

#include "cli/check_command.h"
#include "cli/demo_image.h"
#include "cli/image_report.h"
#include "cli/load_command.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loader/writer/image_writer.h"
#include "platform/memory/malloc_backend.h"
#include "platform/memory/simulated_backend.h"
#include "testing/temp_file.h"

namespace granule::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// The demo image with 16 KiB of .bss after its 8 KiB of data: 24 KiB of RW.
std::string WriteDemoImage(uint64_t alignment) {
  const std::string path = granule::testing::TempPath("image.go");
  ImageSpec spec = DemoImageSpec(alignment);
  SectionSpec bss{".bss", SectionAccess::kReadWrite};
  bss.zero_size = 16 * 1024;
  spec.sections.push_back(bss);
  absl::Status written = WriteImage(spec, path);
  EXPECT_TRUE(written.ok()) << written;
  return path;
}

std::vector<PageSizeChoice> PageSizes(const char* list) {
  absl::StatusOr<std::vector<PageSizeChoice>> sizes = ParsePageSizeList(list);
  EXPECT_TRUE(sizes.ok()) << sizes.status();
  return sizes.ok() ? *sizes : std::vector<PageSizeChoice>{};
}

TEST(CheckTest, SixtyFourKiBImageIsSharedUpToSixtyFourKiBPages) {
  const std::string path = WriteDemoImage(65536);
  const std::vector<PageSizeChoice> sizes = PageSizes("4k,64k,256k");
  const FileCheck check = CheckFile(path, sizes);
  ASSERT_TRUE(check.error.ok()) << check.error;
  ASSERT_EQ(check.verdicts.size(), 3u);
  EXPECT_TRUE(check.verdicts[0].shared_whole()) << check.verdicts[0].Reason();
  EXPECT_TRUE(check.verdicts[1].shared_whole()) << check.verdicts[1].Reason();
  EXPECT_EQ(check.verdicts[2].route, LoadRoute::kCopy);
  ASSERT_TRUE(check.verdicts[2].refusal.has_value());
  EXPECT_EQ(check.verdicts[2].refusal->kind,
            Refusal::Kind::kUnitDoesNotDivideAlign);
  EXPECT_EQ(check.verdicts[2].refusal->unit, Unit::kPage);
  EXPECT_EQ(check.verdicts[2].refusal->unit_bytes, 262144u);
  EXPECT_EQ(check.verdicts[2].refusal->value, 65536u);
  const std::string text = FormatFileCheck(check, sizes);
  EXPECT_THAT(text, StartsWith(path + ": ELF64 little-endian, machine none, "
                                      "layout 1:1, 64 KiB alignment contract "
                                      "met\n"));
  // The writer covers .bss with a hole up to 64 KiB (filesz == memsz here).
  EXPECT_THAT(text, HasSubstr("  phdr 2    0x20000    0x20000    0x6000     "
                              "0x6000     RW    64 KiB\n"));
  EXPECT_THAT(text, HasSubstr("  64k       page 64 KiB, allocation "
                              "granularity 64 KiB    shared\n"));
  EXPECT_THAT(text, HasSubstr("  256k      page 256 KiB, allocation "
                              "granularity 256 KiB  malloc: page size 256 KiB "
                              "does not divide p_align 64 KiB"));
  const std::string json = FileCheckJson(check, sizes);
  EXPECT_THAT(json, HasSubstr("\"meets_alignment_contract\":true"));
  EXPECT_THAT(json, HasSubstr("{\"index\":2,\"type\":\"LOAD\",\"flags\":"
                              "\"RW\",\"offset\":\"0x20000\",\"vaddr\":"
                              "\"0x20000\",\"filesz\":24576,\"memsz\":24576,"
                              "\"align\":65536}"));
  EXPECT_THAT(json, HasSubstr("{\"token\":\"256k\",\"page_size\":262144,"
                              "\"allocation_granularity\":262144,\"load_path\":"
                              "\"malloc\",\"reason\":\"page size 256 KiB"));
}

TEST(CheckTest, FourKiBImageFailsTheContract) {
  const std::string path = WriteDemoImage(4096);
  const std::vector<PageSizeChoice> sizes = PageSizes("4k,16k");
  const FileCheck check = CheckFile(path, sizes);
  ASSERT_TRUE(check.error.ok()) << check.error;
  EXPECT_TRUE(check.verdicts[0].shared_whole());
  EXPECT_FALSE(check.verdicts[1].shared_whole());
  EXPECT_THAT(FormatFileCheck(check, sizes),
              HasSubstr("64 KiB alignment contract not met"));
}

TEST(CheckTest, UnreadableFilesAreReportedByName) {
  const std::string words = "this is text, not an ELF image\n";
  absl::StatusOr<std::string> text = granule::testing::WriteTempFile(
      "text", std::vector<uint8_t>(words.begin(), words.end()));
  ASSERT_TRUE(text.ok());
  const FileCheck check = CheckFile(*text, PageSizes("4k"));
  EXPECT_FALSE(check.error.ok());
  EXPECT_FALSE(check.elf.has_value());
  // The reason is the command's error, printed once on stderr.
  EXPECT_EQ(FormatFileCheck(check, PageSizes("4k")), *text + ": invalid\n");
  CommandResult run = RunCheck({*text}, {"4k", false});
  EXPECT_EQ(run.exit_code, kExitFailed);
  EXPECT_THAT(run.errors,
              ElementsAre(*text +
                          ": not an ELF file: e_ident magic byte 0 is 0x74"));
  EXPECT_THAT(run.report, Not(HasSubstr("magic")));
  EXPECT_EQ(FileCheckJson(check, PageSizes("4k")),
            "{\"file\":\"" + *text + "\",\"error\":\"" + *text +
                ": not an ELF file: e_ident magic byte 0 is 0x74\"}");
}

TEST(CheckTest, TotalsAndExitCodes) {
  const std::string good = WriteDemoImage(65536);
  CommandResult ok = RunCheck({good, good}, {"4k,64k", false});
  EXPECT_EQ(ok.exit_code, kExitOk);
  EXPECT_TRUE(ok.errors.empty());
  EXPECT_THAT(ok.report,
              HasSubstr("checked 2 files: 4 (file, page size) pairs mapped "
                        "whole, 0 per segment, 0 by copy, 0 invalid\n"));

  // Valid, but copied on 256 KiB pages: not the code of a broken file.
  CommandResult refused = RunCheck({good}, {"256k", true});
  EXPECT_EQ(refused.exit_code, kExitWouldCopy);
  EXPECT_THAT(refused.report,
              HasSubstr("\"summary\":{\"files\":1,\"pairs_shared\":0,"
                        "\"pairs_refused\":1,\"files_invalid\":0,"));

  CommandResult missing = RunCheck({"/nonexistent/x.go"}, {"4k", false});
  EXPECT_EQ(missing.exit_code, kExitFailed);
  ASSERT_EQ(missing.errors.size(), 1u);
  EXPECT_THAT(missing.errors[0], HasSubstr("/nonexistent/x.go"));

  EXPECT_EQ(RunCheck({good}, {"4k,7k", false}).exit_code, kExitUsage);
  EXPECT_EQ(RunCheck({}, {"4k", false}).exit_code, kExitUsage);
}

TEST(GuileVmVersionTest, DecodedAsLibguileReadsIt) {
  EXPECT_EQ(DescribeGuileVmVersion(0x3000006),
            "Guile 3.0 bytecode, minor 6 (raw 0x3000006)");
  EXPECT_EQ(DescribeGuileVmVersion(0x2020041),
            "Guile 2.2 bytecode, minor 65 (raw 0x2020041)");
  EXPECT_EQ(DescribeGuileVmVersion(0x100000000),
            "not Guile's encoding (raw 0x100000000)");
}

TEST(ImageReportTest, SharedLoadShowsWhatTheKernelEnforces) {
  const std::string path = WriteDemoImage(65536);
  absl::StatusOr<std::unique_ptr<LoadedImage>> image = LoadImage(path);
  ASSERT_TRUE(image.ok()) << image.status();
  ASSERT_EQ((*image)->path(), LoadPath::kShared);
  absl::StatusOr<ImageReport> report = DescribeImage(**image);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->protection_enforced);
  EXPECT_EQ(report->relocations_applied, 2u);
  ASSERT_EQ(report->segments.size(), 3u);
  const char* expected[] = {"R", "R", "RW"};  // RX stays R without exec.
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(report->segments[i].protection, expected[i]) << i;
    EXPECT_EQ(report->segments[i].source, ProtectionSource::kKernel) << i;
    ASSERT_TRUE(report->segments[i].pages.has_value()) << i;
  }
  EXPECT_EQ(report->segments[1].flags, "RX");
  EXPECT_EQ(report->segments[2].pages->pages, 6u);  // 24 KiB of 4 KiB pages.
  // RELA, RELASZ, RELAENT from the writer, the two of the spec, then the
  // five of the writer's symbol table.
  ASSERT_EQ(report->dynamic.size(), 10u);
  EXPECT_EQ(report->dynamic[0].tag, "RELA");
  EXPECT_TRUE(report->dynamic[0].pointer.has_value());
  EXPECT_EQ(report->dynamic[1].tag, "RELASZ");
  EXPECT_FALSE(report->dynamic[1].pointer.has_value());
  EXPECT_EQ(report->dynamic[3].tag, "GUILE_VM_VERSION");
  EXPECT_EQ(report->dynamic[3].meaning,
            "Guile 3.0 bytecode, minor 6 (raw 0x3000006)");
  EXPECT_EQ(report->dynamic[4].tag, "GUILE_ENTRY");
  absl::StatusOr<absl::Span<const uint8_t>> text =
      (*image)->SectionBytes(".text");
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(report->dynamic[4].pointer,
            reinterpret_cast<uintptr_t>(text->data()));
  const std::string formatted = FormatImageReport(*report, 42);
  EXPECT_THAT(formatted, HasSubstr(": shared path, posix backend\n"));
  EXPECT_THAT(formatted, HasSubstr("  load time  42 us\n"));
  EXPECT_THAT(formatted, HasSubstr("RW (kernel)"));
  EXPECT_THAT(formatted, Not(HasSubstr("does not enforce")));
}

TEST(ImageReportTest, HeapBackendsRecordWithoutEnforcing) {
  const std::string path = WriteDemoImage(65536);
  SimulatedBackend ppc64(*PageGeometry::Create(65536, 65536));
  LoadOptions options;
  options.shared_backend = &ppc64;
  absl::StatusOr<std::unique_ptr<LoadedImage>> image = LoadImage(path, options);
  ASSERT_TRUE(image.ok()) << image.status();
  absl::StatusOr<ImageReport> report = DescribeImage(**image);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->path, LoadPath::kShared);
  EXPECT_FALSE(report->protection_enforced);
  EXPECT_EQ(report->segments[2].protection, "RW");
  EXPECT_EQ(report->segments[2].source, ProtectionSource::kNotEnforced);
  EXPECT_FALSE(report->segments[2].pages.has_value());
  EXPECT_THAT(FormatImageReport(*report, std::nullopt),
              HasSubstr("the simulated backend records protections but does "
                        "not enforce them"));
}

TEST(LoadTest, PathFlag) {
  EXPECT_EQ(*ParsePathChoice("shared"), LoadOptions::PathChoice::kShared);
  EXPECT_EQ(*ParsePathChoice("malloc"), LoadOptions::PathChoice::kMalloc);
  EXPECT_EQ(*ParsePathChoice("auto"), LoadOptions::PathChoice::kAuto);
  EXPECT_EQ(ParsePathChoice("mmap").status().message(),
            "--path=mmap: expected auto, shared or malloc");
}

TEST(LoadTest, TotalsPerPath) {
  LoadTotals totals;
  totals.Add(LoadPath::kShared, 1500);
  totals.Add(LoadPath::kShared, 500);
  totals.Add(LoadPath::kMalloc, 1000);
  totals.Add(std::nullopt, 1000);
  EXPECT_EQ(
      FormatLoadTotals(totals),
      "loading 4 files took 4.000 ms (1000 files/s): shared 2 (2.000 ms), "
      "malloc 1 (1.000 ms), failed 1\n");
  EXPECT_EQ(LoadTotalsJson(totals),
            "{\"files\":4,\"micros\":4000,\"files_per_second\":1000,"
            "\"shared\":2,\"shared_micros\":2000,\"malloc\":1,"
            "\"malloc_micros\":1000,\"failed\":1}");
}

TEST(LoadTest, EachPathOnRequest) {
  const std::string path = WriteDemoImage(65536);
  LoadFlags flags;
  flags.options.path = LoadOptions::PathChoice::kShared;
  CommandResult shared = RunLoad({path}, flags);
  EXPECT_EQ(shared.exit_code, kExitOk);
  EXPECT_THAT(shared.report, HasSubstr(path + ": shared path, posix backend"));
  EXPECT_THAT(shared.report, HasSubstr("shared 1 ("));

  flags.options.path = LoadOptions::PathChoice::kMalloc;
  CommandResult heap = RunLoad({path}, flags);
  EXPECT_EQ(heap.exit_code, kExitOk);
  EXPECT_THAT(heap.report, HasSubstr(path + ": malloc path, malloc backend"));
  EXPECT_THAT(heap.report, HasSubstr("RW (recorded, not enforced)"));
  EXPECT_THAT(heap.report, HasSubstr("malloc 1 ("));
  EXPECT_EQ(HeapMemoryBackend().live_regions(), 0u);

  flags.json = true;
  CommandResult json = RunLoad({path, "/nonexistent.go"}, flags);
  EXPECT_EQ(json.exit_code, kExitFailed);
  ASSERT_EQ(json.errors.size(), 1u);
  EXPECT_THAT(json.errors[0], HasSubstr("/nonexistent.go"));
  EXPECT_THAT(json.report, StartsWith("{\"files\":[{\"file\":"));
  EXPECT_THAT(json.report, HasSubstr("\"failed\":1}}\n"));

  EXPECT_EQ(ParseLoadFlagValues("everywhere", "", flags.options).message(),
            "--path=everywhere: expected auto, shared or malloc");
  EXPECT_TRUE(ParseLoadFlagValues("auto", "", flags.options).ok());
  EXPECT_EQ(flags.options.path, LoadOptions::PathChoice::kAuto);
  EXPECT_EQ(RunLoad({}, flags).exit_code, kExitUsage);
}

// --copy: the shared path with the file read, not mapped (the text and the
// JSON say so); without it the report says the file is mapped.
TEST(LoadTest, CopyFlagReadsTheFileInsteadOfMappingIt) {
  const std::string path = WriteDemoImage(65536);
  LoadFlags flags;
  flags.options.path = LoadOptions::PathChoice::kShared;
  CommandResult mapped = RunLoad({path}, flags);
  EXPECT_EQ(mapped.exit_code, kExitOk);
  EXPECT_THAT(mapped.report,
              HasSubstr("  file       mapped: keep it unchanged while loaded"));

  flags.options.copy_file_bytes = true;
  CommandResult copied = RunLoad({path}, flags);
  EXPECT_EQ(copied.exit_code, kExitOk);
  EXPECT_THAT(copied.report, HasSubstr(path + ": shared path, posix backend"));
  EXPECT_THAT(copied.report,
              HasSubstr("; file bytes copied, not mapped (copy_file_bytes)"));
  EXPECT_THAT(copied.report, HasSubstr("  file       copied at load: later "
                                       "changes cannot reach it"));
  flags.json = true;
  CommandResult json = RunLoad({path}, flags);
  EXPECT_EQ(json.exit_code, kExitOk);
  EXPECT_THAT(json.report, HasSubstr("\"file_bytes_copied\":true"));
  flags.options.copy_file_bytes = false;
  EXPECT_THAT(RunLoad({path}, flags).report,
              HasSubstr("\"file_bytes_copied\":false"));
}

TEST(LoadTest, RelocationBaseLoadsElf32ImagesOnThisHost) {
  EXPECT_EQ(*ParseAddress("0x10000000"), 0x10000000u);
  EXPECT_EQ(*ParseAddress("4096"), 4096u);
  EXPECT_EQ(ParseAddress("0x").status().message(),
            "expected an address such as 0x10000000");
  EXPECT_FALSE(ParseAddress("ten").ok());

  ImageSpec spec = DemoImageSpec(65536);
  spec.variant = {false, false};
  const std::string path = granule::testing::TempPath("image32.go");
  ASSERT_TRUE(WriteImage(spec, path).ok());
  LoadFlags flags;
  CommandResult at_real_base = RunLoad({path}, flags);
  EXPECT_EQ(at_real_base.exit_code, kExitFailed);
  ASSERT_EQ(at_real_base.errors.size(), 1u);
  EXPECT_THAT(at_real_base.errors[0], HasSubstr("does not fit an ELF32 word"));
  ASSERT_TRUE(ParseLoadFlagValues("auto", "0x10000000", flags.options).ok());
  EXPECT_EQ(flags.options.relocation_base, 0x10000000u);
  CommandResult relocated = RunLoad({path}, flags);
  EXPECT_EQ(relocated.exit_code, kExitOk) << relocated.report;
  EXPECT_EQ(ParseLoadFlagValues("auto", "somewhere", flags.options).message(),
            "--relocation-base=somewhere: expected an address such as "
            "0x10000000");
}

TEST(LoadTest, ManyFilesGiveTotalsUnlessVerbose) {
  const std::string path = WriteDemoImage(65536);
  const std::vector<std::string> files(kDetailedFileLimit + 1, path);
  LoadFlags flags;
  CommandResult quiet = RunLoad(files, flags);
  EXPECT_EQ(quiet.exit_code, kExitOk);
  EXPECT_THAT(quiet.report, StartsWith("loading 21 files took "));
  EXPECT_THAT(quiet.report, Not(HasSubstr("base")));
  flags.verbose = true;
  CommandResult verbose = RunLoad(files, flags);
  size_t bases = 0;
  for (size_t at = 0;
       (at = verbose.report.find("  base ", at)) != std::string::npos; ++at) {
    ++bases;
  }
  EXPECT_EQ(bases, files.size());
}

}  // namespace
}  // namespace granule::cli
