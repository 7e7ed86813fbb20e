// Tests for the JSON log format: escaping (quotes, control characters,
// invalid UTF-8) and the line the formatter writes. The real vaultd's lines
// are parsed by the VaultdObservability test.
#include "api/logging.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace vault::api {
namespace {

TEST(JsonEscapeTest, EscapesWhatJsonRequires) {
  EXPECT_EQ(JsonEscape("plain text"), "plain text");
  EXPECT_EQ(JsonEscape("a \"quoted\" \\ path"), "a \\\"quoted\\\" \\\\ path");
  EXPECT_EQ(JsonEscape("line1\nline2\r\tx"), "line1\\nline2\\r\\tx");
  EXPECT_EQ(JsonEscape(std::string("nul\0bell\x07", 9)), "nul\\u0000bell\\u0007");
  EXPECT_EQ(JsonEscape("\x7f"), "\\u007f");
}

TEST(JsonEscapeTest, KeepsUtf8AndReplacesInvalidBytes) {
  EXPECT_EQ(JsonEscape("caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x94\x91"),
            "caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x94\x91");
  EXPECT_EQ(JsonEscape("bad \xff byte"), "bad \\ufffd byte");
  EXPECT_EQ(JsonEscape("cut \xe4\xb8"), "cut \\ufffd\\ufffd");
  EXPECT_EQ(JsonEscape("overlong \xc0\xaf"), "overlong \\ufffd\\ufffd");
  EXPECT_EQ(JsonEscape("surrogate \xed\xa0\x80"), "surrogate \\ufffd\\ufffd\\ufffd");
}

TEST(LogFormatTest, ParsesTheTwoNames) {
  LogFormat f = LogFormat::kJson;
  EXPECT_TRUE(ParseLogFormat("", &f));
  EXPECT_EQ(f, LogFormat::kText);
  EXPECT_TRUE(ParseLogFormat("json", &f));
  EXPECT_EQ(f, LogFormat::kJson);
  EXPECT_TRUE(ParseLogFormat("text", &f));
  EXPECT_EQ(f, LogFormat::kText);
  EXPECT_FALSE(ParseLogFormat("JSON", &f));
  EXPECT_FALSE(ParseLogFormat("xml", &f));
}

std::string Format(const std::string& logger, const std::string& payload) {
  return FormatJsonLine(
      logger, "warning",
      std::chrono::system_clock::time_point(std::chrono::milliseconds(1780000000123)), payload);
}

TEST(JsonFormatterTest, OneObjectPerLineWithTheMessageEscaped) {
  EXPECT_EQ(Format("vaultd", "storage failed (\"io\")\nnext"),
            "{\"time\":\"2026-05-28T20:26:40.123Z\",\"level\":\"warning\","
            "\"msg\":\"storage failed (\\\"io\\\")\\nnext\"}\n");
}

TEST(JsonFormatterTest, AccessLinesCarryTheirMembers) {
  EXPECT_EQ(Format("access", "\"msg\":\"GET /x 200\",\"status\":200"),
            "{\"time\":\"2026-05-28T20:26:40.123Z\",\"level\":\"warning\","
            "\"msg\":\"GET /x 200\",\"status\":200}\n");
}

}  // namespace
}  // namespace vault::api
