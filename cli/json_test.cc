// SPDX-License-Identifier: Apache-2.0
// The JSON writer and the report fields, read back by a real parser.
#include <string>

#include "cli/check_command.h"
#include "cli/json.h"
#include "cli/report_json.h"
#include "cli/visible_text.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace granule::cli {
namespace {

using ::testing::HasSubstr;

nlohmann::json Parse(const std::string& text) {
  return nlohmann::json::parse(text);  // Throws, failing the test, if bad.
}

TEST(VisibleTextTest, ShowsBytesThatAreNotUtf8AndControls) {
  EXPECT_EQ(VisibleText("plain-name.go"), "plain-name.go");
  EXPECT_EQ(VisibleText("bad\xffname"), "bad\\xffname");
  EXPECT_EQ(VisibleText("new\nline\x7f"), "new\\x0aline\\x7f");
  EXPECT_EQ(VisibleText("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
            "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
  // Overlong '/', a surrogate, past U+10FFFF, a cut-off sequence.
  EXPECT_EQ(VisibleText("\xc0\xaf"), "\\xc0\\xaf");
  EXPECT_EQ(VisibleText("\xed\xa0\x80"), "\\xed\\xa0\\x80");
  EXPECT_EQ(VisibleText("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");
  EXPECT_EQ(VisibleText("ab\xe2\x82"), "ab\\xe2\\x82");
  EXPECT_TRUE(IsUtf8("caf\xc3\xa9"));
  EXPECT_FALSE(IsUtf8("caf\xe9"));
  EXPECT_EQ(HexBytes("a\xff"), "61ff");
}

TEST(JsonStringTest, AnyBytesParseBack) {
  const std::string tricky[] = {"quote\"d", "back\\slash", "a<b&c>",
                                "new\nline\ttab\x01", "caf\xc3\xa9",
                                "bad\xffname", std::string("nul\0in", 6)};
  for (const std::string& text : tricky) {
    const nlohmann::json parsed = Parse(JsonString(text));
    ASSERT_TRUE(parsed.is_string()) << text;
    if (IsUtf8(text)) {
      EXPECT_EQ(parsed.get<std::string>(), text);
    } else {
      EXPECT_EQ(parsed.get<std::string>(), VisibleText(text));
    }
  }
}

TEST(JsonObjectTest, HexAddressesAndFileNames) {
  const nlohmann::json parsed =
      Parse(JsonObject()
                .Hex("base", 0x0123456789ab0000)
                .Number("size", 65536)
                .FileName("file", "bad\xffname.go")
                .FileName("other", "fine.go")
                .Build());
  // As a double, 0x0123456789ab0000 would not survive; as a string it does.
  EXPECT_EQ(std::stoull(parsed["base"].get<std::string>(), nullptr, 16),
            0x0123456789ab0000u);
  EXPECT_EQ(parsed["size"].get<uint64_t>(), 65536u);
  EXPECT_EQ(parsed["file"], "bad\\xffname.go");
  EXPECT_EQ(parsed["file_hex"], "626164ff6e616d652e676f");
  EXPECT_EQ(parsed["other"], "fine.go");
  EXPECT_FALSE(parsed.contains("other_hex"));
}

TEST(JsonReportTest, EnvelopeComesFirstAndFailuresCarryTheError) {
  const nlohmann::json report =
      Parse(JsonReport("check", 3, "{\"files\":[]}\n"));
  EXPECT_EQ(report["schema"], kJsonSchema);
  EXPECT_EQ(report["command"], "check");
  EXPECT_EQ(report["exit_code"], 3);
  EXPECT_TRUE(report["files"].is_array());
  EXPECT_EQ(Parse(JsonReport("info", 0, "{}"))["exit_code"], 0);

  const nlohmann::json failure =
      Parse(JsonFailure("map", 1, {"a.go: not an ELF file", "second"}));
  EXPECT_EQ(failure["exit_code"], 1);
  EXPECT_EQ(failure["error"], "a.go: not an ELF file; second");
}

TEST(ReportJsonTest, CheckOfAMissingFileNamesIt) {
  CommandResult result = RunCheck({"/nonexistent/x\xff.go"}, {"4k", true});
  const nlohmann::json report = Parse(result.report);
  ASSERT_EQ(report["files"].size(), 1u);
  const nlohmann::json& file = report["files"][0];
  EXPECT_EQ(file["file"], "/nonexistent/x\\xff.go");
  EXPECT_EQ(file["file_hex"], HexBytes("/nonexistent/x\xff.go"));
  EXPECT_THAT(file["error"].get<std::string>(), HasSubstr("x\\xff.go"));
  EXPECT_EQ(report["summary"]["files_invalid"], 1);
}

}  // namespace
}  // namespace granule::cli
