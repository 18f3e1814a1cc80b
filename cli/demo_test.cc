// SPDX-License-Identifier: Apache-2.0
#include <cstdlib>
#include <filesystem>

#include "cli/demo_command.h"
#include "cli/demo_facts.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "platform/memory/malloc_backend.h"

namespace granule::cli {
namespace {

using ::testing::HasSubstr;

// Entries named granule-demo-* left under `dir`.
int ScratchLeftIn(const std::string& dir) {
  int left = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().filename().string().rfind("granule-demo-", 0) == 0) {
      ++left;
    }
  }
  return left;
}

std::string TestDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  EXPECT_NE(dir, nullptr);
  return dir != nullptr ? dir : "/tmp";
}

const MachineFacts* Find(const DemoFacts& facts, const char* name) {
  for (const MachineFacts& m : facts.machines) {
    if (std::string(m.machine->name) == name) return &m;
  }
  ADD_FAILURE() << "no machine " << name;
  return nullptr;
}

TEST(DemoTest, LoadsAgreeAndPointersReachTheirTargets) {
  absl::StatusOr<DemoFacts> facts = GatherDemoFacts(TestDir());
  ASSERT_TRUE(facts.ok()) << facts.status();
  EXPECT_EQ(facts->shared.path, LoadPath::kShared);  // 4 KiB-page CI host.
  EXPECT_EQ(facts->malloc.path, LoadPath::kMalloc);
  EXPECT_EQ(facts->malloc.reason, "requested by the caller");
  ASSERT_EQ(facts->pointers.size(), 2u);
  EXPECT_EQ(facts->pointers[0].place, ".data+0");
  EXPECT_EQ(facts->pointers[0].seen, "\"hello from .rodata\"");
  EXPECT_EQ(facts->pointers[1].target, ".text");
  EXPECT_EQ(facts->pointers[1].seen, "90 90 c3");
  EXPECT_EQ(facts->compared[0], LoadPath::kShared);
  EXPECT_EQ(facts->compared[1], LoadPath::kMalloc);
  EXPECT_EQ(facts->agreement.size(), 3u);

  // The relocated .data page is a private copy; the second .data page was
  // only read, so it is still the file's page.
  const SegmentReport& rw = facts->shared.segments[2];
  EXPECT_EQ(rw.source, ProtectionSource::kKernel);
  ASSERT_TRUE(rw.pages.has_value());
  EXPECT_EQ(rw.pages->resident, rw.pages->pages);
  EXPECT_GE(rw.pages->private_pages, 1u);
  EXPECT_GE(rw.pages->file_pages, 1u);
  EXPECT_EQ(facts->shared.segments[0].pages->file_pages, 1u);

  const MachineFacts* ppc64 = Find(*facts, "linux-ppc64le");
  ASSERT_NE(ppc64, nullptr);
  EXPECT_EQ(ppc64->aligned_64k.path, LoadPath::kShared);
  EXPECT_EQ(ppc64->aligned_4k.path, LoadPath::kMalloc);
  EXPECT_THAT(ppc64->aligned_4k.reason,
              HasSubstr("page size 64 KiB does not divide p_align 4 KiB"));
  const MachineFacts* big = Find(*facts, "hypothetical-256k");
  ASSERT_NE(big, nullptr);
  EXPECT_EQ(big->aligned_64k.path, LoadPath::kMalloc);
  EXPECT_THAT(big->aligned_64k.reason,
              HasSubstr("page size 256 KiB does not divide p_align 64 KiB"));
  const MachineFacts* x86 = Find(*facts, "linux-x86_64");
  ASSERT_NE(x86, nullptr);
  EXPECT_EQ(x86->aligned_4k.path, LoadPath::kShared);

  EXPECT_EQ(ScratchLeftIn(TestDir()), 0);
  EXPECT_EQ(HeapMemoryBackend().live_regions(), 0u);
}

TEST(DemoTest, TextAndJsonReports) {
  absl::StatusOr<std::string> text = DemoReport(TestDir(), false);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_THAT(*text, HasSubstr("auto   load: shared path: page "));
  EXPECT_THAT(*text, HasSubstr("malloc load: malloc path: requested by the "
                               "caller\n"));
  EXPECT_THAT(*text, HasSubstr(" (.rodata): \"hello from .rodata\"\n"));
  EXPECT_THAT(*text, HasSubstr("  linux-ppc64le      shared          copy\n"));
  EXPECT_THAT(*text, HasSubstr("  hypothetical-256k  copy            copy\n"));
  EXPECT_THAT(*text,
              HasSubstr("    256 KiB pages (hypothetical): page size 256 KiB "
                        "does not divide"));
  EXPECT_THAT(*text, HasSubstr("\nThis machine:\npage size "));

  absl::StatusOr<std::string> json = DemoReport(TestDir(), true);
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_EQ(json->front(), '{');
  EXPECT_EQ(json->back(), '\n');
  EXPECT_THAT(*json, HasSubstr("\"seen\":\"\\\"hello from .rodata\\\"\""));
  EXPECT_THAT(*json, HasSubstr("\"compared_paths\":[\"shared\",\"malloc\"]"));
  EXPECT_THAT(*json,
              HasSubstr("{\"name\":\"hypothetical-256k\",\"label\":\"256 "
                        "KiB pages (hypothetical)\",\"page_size\":262144,"
                        "\"allocation_granularity\":262144,\"aligned_64k\":"
                        "{\"load_path\":\"malloc\",\"route\":\"copy\","
                        "\"reason\":\"page size 256 KiB does not divide"));
  EXPECT_THAT(*json, HasSubstr("\"this_machine\":{\"page_size\":"));
  EXPECT_EQ(ScratchLeftIn(TestDir()), 0);
}

TEST(DemoTest, AnUnwritableScratchParentIsAnErrorNamingIt) {
  absl::StatusOr<std::string> report =
      DemoReport("/nonexistent/granule-parent", false);
  EXPECT_FALSE(report.ok());
  EXPECT_THAT(report.status().message(),
              HasSubstr("/nonexistent/granule-parent"));
}

TEST(DemoTest, RunDemoTakesNoArguments) {
  CommandResult result = RunDemo({"extra"}, false);
  EXPECT_EQ(result.exit_code, kExitUsage);
  EXPECT_TRUE(result.report.empty());
}

}  // namespace
}  // namespace granule::cli
