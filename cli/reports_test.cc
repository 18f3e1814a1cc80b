#include <cstdlib>
#include <filesystem>

#include "cli/alignment_demo.h"
#include "cli/json.h"
#include "cli/platform_report.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "platform/malloc_backend.h"
#include "platform/simulated_backend.h"

namespace granule::cli {
namespace {

using ::testing::HasSubstr;

TEST(JsonStringTest, Escapes) {
  EXPECT_EQ(JsonString("plain"), "\"plain\"");
  EXPECT_EQ(JsonString("a\"b\\c\nd\x01"), "\"a\\\"b\\\\c\\nd\\u0001\"");
}

TEST(PlatformReportTest, SaysWhichPathSixtyFourKiBImagesTake) {
  SimulatedBackend ppc64(*PageGeometry::Create(65536, 65536));
  std::string text = PlatformReport(ppc64.geometry(), ppc64.traits(), false);
  EXPECT_THAT(text, HasSubstr("page size                64 KiB\n"));
  EXPECT_THAT(text, HasSubstr("memory backend           simulated\n"));
  EXPECT_THAT(text, HasSubstr("64 KiB-aligned images    shared path"));

  SimulatedBackend big(*PageGeometry::Create(262144, 262144));
  EXPECT_THAT(PlatformReport(big.geometry(), big.traits(), false),
              HasSubstr("64 KiB-aligned images    malloc path: 64 KiB does "
                        "not divide into this machine's units (page 256 KiB, "
                        "allocation granularity 256 KiB)"));
}

TEST(PlatformReportTest, JsonHasEveryField) {
  SimulatedBackend windows(*PageGeometry::Create(4096, 65536));
  EXPECT_EQ(PlatformReport(windows.geometry(), windows.traits(), true),
            "{\"page_size\":4096,\"allocation_granularity\":65536,"
            "\"backend\":{\"name\":\"simulated\",\"can_release_partially\":"
            "false,\"fixed_placement_reliable\":true,\"enforces_protection\":"
            "false,\"shares_file_pages\":false},\"image_alignment\":65536,"
            "\"shared_path\":true}\n");
}

TEST(AlignmentDemoTest, SixtyFourKiBLayoutIsSharedUpToSixtyFourKiBPages) {
  const char* dir = std::getenv("TEST_TMPDIR");
  ASSERT_NE(dir, nullptr);
  absl::StatusOr<std::string> json = AlignmentDemo(dir, /*json=*/true);
  ASSERT_TRUE(json.ok()) << json.status();
  // The seed's bug: a 4 KiB-aligned writable segment on 64 KiB pages.
  EXPECT_THAT(*json, HasSubstr("{\"machine\":\"64 KiB pages (ppc64, arm64)\","
                               "\"writable_offset\":4096,\"path\":\"malloc\","
                               "\"reason\":\"simulated: map file '"));
  EXPECT_THAT(*json, HasSubstr("at file offset 0x1000: not a multiple of the "
                               "allocation granularity 64 KiB"));
  // The fix: 64 KiB alignment maps there.
  EXPECT_THAT(*json, HasSubstr("{\"machine\":\"64 KiB pages (ppc64, arm64)\","
                               "\"writable_offset\":65536,\"path\":\"shared\","
                               "\"reason\":\"\"}"));
  EXPECT_THAT(*json,
              HasSubstr("{\"machine\":\"256 KiB pages (hypothetical)\","
                        "\"writable_offset\":65536,\"path\":\"malloc\""));
  EXPECT_THAT(*json, HasSubstr("{\"machine\":\"Windows (4 KiB, 64 KiB "
                               "granule)\",\"writable_offset\":4096,"
                               "\"path\":\"malloc\""));
  // The scratch image is gone and nothing was left mapped.
  EXPECT_FALSE(
      std::filesystem::exists(std::string(dir) + "/granule-demo-image.bin"));
  EXPECT_EQ(HeapMemoryBackend().live_regions(), 0u);
}

}  // namespace
}  // namespace granule::cli
