// SPDX-License-Identifier: Apache-2.0
// The small pieces: JSON, `granule info`'s report, --page-size tokens.
#include "cli/json.h"
#include "cli/page_sizes.h"
#include "cli/platform_report.h"
#include "cli/report_json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "platform/memory/simulated_backend.h"

namespace granule::cli {
namespace {

using ::testing::HasSubstr;

TEST(JsonStringTest, Escapes) {
  EXPECT_EQ(JsonString("plain"), "\"plain\"");
  EXPECT_EQ(JsonString("a\"b\\c\nd\x01"), "\"a\\\"b\\\\c\\nd\\u0001\"");
}

TEST(JsonObjectTest, FieldsInOrderWithEscapedKeysAndValues) {
  EXPECT_EQ(JsonObject().Build(), "{}");
  EXPECT_EQ(JsonObject()
                .String("name", "a\"b")
                .Number("n", 18446744073709551615u)
                .Signed("s", -3)
                .Bool("yes", true)
                .Null("none")
                .Raw("list", JsonArray({"1", "{}"}))
                .Double("rate", 2.5)
                .Double("infinite", 1.0 / 0.0)
                .Build(),
            "{\"name\":\"a\\\"b\",\"n\":18446744073709551615,\"s\":-3,"
            "\"yes\":true,\"none\":null,\"list\":[1,{}],\"rate\":2.5,"
            "\"infinite\":null}");
}

// load_path is "malloc" on the copy route only, as `load` reports it; a
// per-segment verdict is on the shared path.
TEST(VerdictJsonTest, LoadPathFollowsTheRoute) {
  const PageSizeChoice choice = *ParsePageSizeToken("4k");
  LoadVerdict verdict;
  verdict.geometry = choice.geometry;
  EXPECT_THAT(VerdictJson(choice, verdict).Build(),
              HasSubstr("\"load_path\":\"shared\",\"reason\":\"\","
                        "\"route\":\"shared\""));
  Refusal shared_page;
  shared_page.kind = Refusal::Kind::kSegmentsShareUnit;
  shared_page.program_headers = {0, 1};
  shared_page.unit_bytes = 4096;
  verdict.refusal = shared_page;
  verdict.route = LoadRoute::kPerSegment;
  const std::string per_segment = VerdictJson(choice, verdict).Build();
  EXPECT_THAT(per_segment, HasSubstr("\"load_path\":\"shared\",\"reason\":"
                                     "\"program headers 0 and 1 share"));
  EXPECT_THAT(per_segment, HasSubstr("\"route\":\"per-segment\"}"));
  verdict.route = LoadRoute::kCopy;
  const std::string copy = VerdictJson(choice, verdict).Build();
  EXPECT_THAT(copy, HasSubstr("\"load_path\":\"malloc\""));
  EXPECT_THAT(copy, HasSubstr("\"route\":\"copy\"}"));
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
            "false,\"enforces_protection\":"
            "false,\"shares_file_pages\":false},\"image_alignment\":65536,"
            "\"shared_path\":true}\n");
}

TEST(PageSizesTest, ByteCounts) {
  EXPECT_EQ(*ParseByteCount("4096"), 4096u);
  EXPECT_EQ(*ParseByteCount("4k"), 4096u);
  EXPECT_EQ(*ParseByteCount("64K"), 65536u);
  EXPECT_EQ(*ParseByteCount("1m"), 1048576u);
  for (const char* bad : {"", "k", "4kb", "-4k", "+4", "0x1000", "4 k",
                          "99999999999999999999k", "18014398509481984k"}) {
    absl::StatusOr<uint64_t> count = ParseByteCount(bad);
    EXPECT_FALSE(count.ok()) << bad << " -> " << *count;
  }
  EXPECT_EQ(ParseByteCount("4q").status().message(),
            "'4q' is not a byte count (expected digits with an optional k, "
            "m or g suffix, such as 4096, 4k or 1m)");
  EXPECT_EQ(*ParseByteCount("1G"), uint64_t{1} << 30);
}

TEST(PageSizesTest, TokensGiveGeometries) {
  absl::StatusOr<PageSizeChoice> windows = ParsePageSizeToken("4k/64k");
  ASSERT_TRUE(windows.ok()) << windows.status();
  EXPECT_EQ(windows->token, "4k/64k");
  EXPECT_EQ(windows->geometry.page_size(), 4096u);
  EXPECT_EQ(windows->geometry.allocation_granularity(), 65536u);
  absl::StatusOr<PageSizeChoice> big = ParsePageSizeToken("256k");
  ASSERT_TRUE(big.ok()) << big.status();
  EXPECT_EQ(big->geometry.page_size(), 262144u);
  EXPECT_EQ(big->geometry.allocation_granularity(), 262144u);
}

TEST(PageSizesTest, BadTokensAreNamed) {
  EXPECT_EQ(ParsePageSizeToken("3k").status().message(),
            "page size '3k': page size 3072 is not a power of two");
  EXPECT_EQ(ParsePageSizeToken("64k/4k").status().message(),
            "page size '64k/4k': allocation granularity 4096 is smaller than "
            "the page size 65536");
  EXPECT_EQ(ParsePageSizeToken("0").status().message(),
            "page size '0': page size 0 is not a power of two");
  EXPECT_EQ(ParsePageSizeToken("4k/64k/1m").status().message(),
            "page size '4k/64k/1m': expected SIZE or PAGE/GRANULARITY, such as "
            "64k or 4k/64k");
  EXPECT_EQ(ParsePageSizeToken("4x").status().message(),
            "page size '4x': '4x' is not a byte count (expected digits with "
            "an optional k, m or g suffix, such as 4096, 4k or 1m)");
  EXPECT_TRUE(absl::IsInvalidArgument(ParsePageSizeToken("4x").status()));
}

// A power of two, but no machine's page: a typo for 1k, or for 1m.
TEST(PageSizesTest, SizesOutsideOneKibToOneGibAreRefused) {
  EXPECT_EQ(ParsePageSizeToken("1").status().message(),
            "page size '1': 1 bytes is outside 1 KiB to 1 GiB, the page sizes "
            "and granularities judged");
  EXPECT_EQ(ParsePageSizeToken("512").status().message(),
            "page size '512': 512 bytes is outside 1 KiB to 1 GiB, the page "
            "sizes and granularities judged");
  EXPECT_EQ(ParsePageSizeToken("4k/2g").status().message(),
            "page size '4k/2g': 2147483648 bytes is outside 1 KiB to 1 GiB, "
            "the page sizes and granularities judged");
  for (const char* edge : {"1k", "1g", "1k/1g"}) {
    EXPECT_TRUE(ParsePageSizeToken(edge).ok()) << edge;
  }
}

TEST(PageSizesTest, Lists) {
  absl::StatusOr<std::vector<PageSizeChoice>> defaults =
      ParsePageSizeList(kDefaultPageSizes);
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  ASSERT_EQ(defaults->size(), 4u);
  EXPECT_EQ((*defaults)[1].geometry.page_size(), 16384u);
  EXPECT_EQ((*defaults)[3].token, "4k/64k");
  absl::StatusOr<std::vector<PageSizeChoice>> spaced =
      ParsePageSizeList(" 4k , 1m ");
  ASSERT_TRUE(spaced.ok()) << spaced.status();
  EXPECT_EQ((*spaced)[1].geometry.page_size(), 1048576u);
  EXPECT_EQ(ParsePageSizeList("4k,,64k").status().message(),
            "page sizes '4k,,64k': empty entry (expected a comma-separated "
            "list such as 4k,16k,64k,4k/64k)");
  EXPECT_EQ(ParsePageSizeList("4k,5k").status().message(),
            "page size '5k': page size 5120 is not a power of two");
}

}  // namespace
}  // namespace granule::cli
