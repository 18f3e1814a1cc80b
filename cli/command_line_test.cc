// SPDX-License-Identifier: Apache-2.0
#include "cli/command_line.h"

#include "absl/flags/flag.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

// Stand-ins for main.cc's flags, which this test does not link.
ABSL_FLAG(bool, json, false, "one JSON object");
ABSL_FLAG(std::string, page_size, "4k", "machines to judge");
ABSL_FLAG(std::string, output, "", "the file to write");
ABSL_FLAG(int, count, 1, "a number");

namespace granule::cli {
namespace {

using ::testing::ElementsAre;

absl::StatusOr<NormalizedArgs> Normalize(std::vector<std::string> args) {
  args.insert(args.begin(), "granule");
  return NormalizeArgs(args);
}

TEST(NormalizeArgsTest, RewritesFlagsForAbseil) {
  absl::StatusOr<NormalizedArgs> args =
      Normalize({"check", "--page-size", "4k,64k", "a.go", "-o", "out",
                 "--json", "--count=3", "-page_size=16k"});
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_FALSE(args->help);
  EXPECT_THAT(args->argv, ElementsAre("granule", "check", "--page_size=4k,64k",
                                      "a.go", "--output=out", "--json=true",
                                      "--count=3", "--page_size=16k"));
  EXPECT_THAT(args->flags_used,
              ElementsAre("count", "json", "output", "page_size"));
}

TEST(NormalizeArgsTest, NegatedBoolsAndArgumentsAfterDoubleDash) {
  absl::StatusOr<NormalizedArgs> args =
      Normalize({"--nojson", "load", "--", "--json", "-o"});
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_THAT(args->argv, ElementsAre("granule", "--json=false", "load", "--",
                                      "--json", "-o"));
  EXPECT_THAT(args->flags_used, ElementsAre("json"));
}

TEST(NormalizeArgsTest, HelpIsNoted) {
  for (const char* help : {"--help", "-h", "--helpfull", "-help"}) {
    absl::StatusOr<NormalizedArgs> args = Normalize({"check", help});
    ASSERT_TRUE(args.ok()) << args.status();
    EXPECT_TRUE(args->help) << help;
  }
}

TEST(NormalizeArgsTest, BadFlagsAreErrorsNotExits) {
  EXPECT_EQ(Normalize({"--bogus"}).status().message(),
            "unknown flag '--bogus'");
  EXPECT_EQ(Normalize({"--nooutput"}).status().message(),
            "unknown flag '--nooutput'");
  EXPECT_EQ(Normalize({"check", "--page-size"}).status().message(),
            "flag '--page-size' needs a value: --page-size=VALUE");
  EXPECT_EQ(Normalize({"--json=maybe"}).status().message(),
            "bad value 'maybe' for flag --json: Illegal value 'maybe' "
            "specified for flag 'json'");
  EXPECT_TRUE(absl::IsInvalidArgument(Normalize({"--count=x"}).status()));
}

// The help column is as wide as the longest spelling, plus two spaces.
TEST(FlagsHelpTest, ListsThisFilesFlagsWithHyphens) {
  EXPECT_EQ(FlagsHelp("cli/command_line_test.cc"),
            "  --count=VALUE      a number (default: 1)\n"
            "  --json             one JSON object\n"
            "  --output=VALUE     the file to write\n"
            "  --page-size=VALUE  machines to judge (default: 4k)\n");
}

}  // namespace
}  // namespace granule::cli
