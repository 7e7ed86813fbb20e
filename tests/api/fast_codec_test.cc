// api/fast_codec.h against protobuf's JSON mapping with vaultd's options:
// each hot message parsed and printed both ways, and the inputs where
// protobuf's parser is lenient or strict in ways that are easy to miss.
// (tests/fuzz/fuzz_codec_diff.cc explores beyond these cases.)
#include "api/fast_codec.h"

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <string>

namespace vault::api::fast_codec {
namespace {

namespace pb = google::protobuf;
using pb::util::MessageDifferencer;

std::string ProtobufPrint(const pb::Message& m) {
  pb::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  std::string out;
  EXPECT_TRUE(pb::util::MessageToJsonString(m, &out, options).ok());
  return out;
}

bool ProtobufParse(const std::string& json, pb::Message* m) {
  pb::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  return pb::util::JsonStringToMessage(json, m, options).ok();
}

// Parses `json` both ways; returns the fast result after checking it
// against protobuf's (a parsed message must equal protobuf's).
template <typename Message>
ParseResult Check(const std::string& json, ParseResult (*fast)(std::string_view, Message*)) {
  Message mine, theirs;
  const ParseResult r = fast(json, &mine);
  const bool accepted = ProtobufParse(json, &theirs);
  if (r == ParseResult::kParsed) {
    EXPECT_TRUE(accepted) << json;
    EXPECT_TRUE(MessageDifferencer::Equals(mine, theirs)) << json;
  } else if (r == ParseResult::kRejected) {
    EXPECT_FALSE(accepted) << json;
  } else {
    EXPECT_EQ(mine.ByteSizeLong(), 0u) << json;
  }
  return r;
}

ParseResult Tokenize(const std::string& json) { return Check(json, ParseTokenizeRequest); }
ParseResult Detokenize(const std::string& json) { return Check(json, ParseDetokenizeRequest); }
ParseResult PutSubject(const std::string& json) { return Check(json, ParsePutSubjectRequest); }

TEST(FastCodecParse, TokenizeRequestMatchesProtobuf) {
  v1::TokenizeRequest m;
  ASSERT_EQ(ParseTokenizeRequest(R"({"items":[{"type":"email","value":"a@b.c","subject":"s",)"
                                 R"("format":"f","ttl_seconds":3600},{"ttlSeconds":"-7"}]})",
                                 &m),
            ParseResult::kParsed);
  ASSERT_EQ(m.items_size(), 2);
  EXPECT_EQ(m.items(0).value(), "a@b.c");
  EXPECT_EQ(m.items(0).ttl_seconds(), 3600);
  EXPECT_EQ(m.items(1).ttl_seconds(), -7);
  EXPECT_EQ(Tokenize(R"({"items":[]})"), ParseResult::kParsed);
  EXPECT_EQ(Tokenize("{}"), ParseResult::kParsed);
  EXPECT_EQ(Tokenize(" \n{ \"items\" : [ { } ] }\t"), ParseResult::kParsed);
  EXPECT_EQ(Tokenize(R"({"items":[{"ttl_seconds":9223372036854775807}]})"), ParseResult::kParsed);
  EXPECT_EQ(Tokenize(R"({"items":[{"ttl_seconds":-0}]})"), ParseResult::kParsed);
}

TEST(FastCodecParse, EscapesDecodeAsProtobufDecodesThem) {
  EXPECT_EQ(Tokenize(R"({"items":[{"value":"\u00e9\ud83d\ude00\u0000\/\"\\\b\f\n\r\t"}]})"),
            ParseResult::kParsed);
  EXPECT_EQ(Tokenize("{\"items\":[{\"value\":\"caf\xc3\xa9\"}]}"), ParseResult::kParsed);
  // Lone surrogates, unknown escapes and invalid UTF-8: protobuf decides.
  EXPECT_NE(Tokenize(R"({"items":[{"value":"\ud800"}]})"), ParseResult::kParsed);
  EXPECT_NE(Tokenize(R"({"items":[{"value":"\x"}]})"), ParseResult::kParsed);
  EXPECT_NE(Tokenize("{\"items\":[{\"value\":\"\xff\"}]}"), ParseResult::kParsed);
}

TEST(FastCodecParse, LenientProtobufInputsFallBack) {
  // protobuf accepts each of these; the fast path leaves them to it.
  for (const char* json : {
           R"({"items":[{"ttl_seconds":1e2}]})",      // a double that is whole
           R"({"items":[{"ttl_seconds":1.0}]})",      //
           R"({"items":[{"ttl_seconds":"+5"}]})",     // strto64 forms
           R"({"items":[{"ttl_seconds":"05"}]})",     //
           R"({"items":[{"type":null}]})",            // null = unset
           R"({"items":null})",                       //
           R"({"items":[null]})",                     //
           R"({"items":{}})",                         // an object as a list of one
           R"({"items":[[]]})",                       // a nested list
           R"({"items":[{"type":"a","type":"b"}]})",  // last one wins
           R"({"items":[{"ttl_seconds":1,"ttlSeconds":2}]})",
           R"({items:[]})",     // unquoted key
           R"({'items':[]})",   // single quotes
           R"({"items":[],})",  // trailing comma
       }) {
    EXPECT_EQ(Tokenize(json), ParseResult::kFallback) << json;
  }
  EXPECT_EQ(Detokenize(R"({"tokens":"a"})"), ParseResult::kFallback);
  EXPECT_EQ(PutSubject(R"({"fields":{"a":null}})"), ParseResult::kFallback);
}

TEST(FastCodecParse, RejectsWhatProtobufRejects) {
  for (const char* json : {
           R"({"items":[{"typo":"x"}]})",  // unknown fields, also nested
           R"({"items":[],"foo":{"bar":1}})",
           R"({"Items":[]})",
           R"({"items":[{"TtlSeconds":1}]})",
           R"({"items":[{"type":5}]})",  // wrong JSON types
           R"({"items":[{"type":true}]})",
           R"({"items":[{"type":{}}]})",
           R"({"items":[{"type":["a"]}]})",
           R"({"items":[{"ttl_seconds":true}]})",
           R"({"items":[1]})",
           R"({"items":"x"})",
       }) {
    EXPECT_EQ(Tokenize(json), ParseResult::kRejected) << json;
  }
  EXPECT_EQ(Detokenize(R"({"tokens":[1]})"), ParseResult::kRejected);
  EXPECT_EQ(Detokenize(R"({"tokens":[{}]})"), ParseResult::kRejected);
  EXPECT_EQ(PutSubject(R"({"fields":{"a":{},"a":{"type":"x"}}})"), ParseResult::kRejected);
  EXPECT_EQ(PutSubject(R"({"fields":[]})"), ParseResult::kRejected);
  EXPECT_EQ(PutSubject(R"({"fields":{"a":{"Type":"x"}}})"), ParseResult::kRejected);
  // Invalid JSON, values out of range and other roots: protobuf decides.
  for (const char* json :
       {"", "[]", "null", R"({"items":[]} x)", R"({"items":[{"ttl_seconds":9223372036854775808}]})",
        R"({"items":[{"ttl_seconds":1.5}]})"}) {
    EXPECT_EQ(Tokenize(json), ParseResult::kFallback) << json;
  }
}

TEST(FastCodecParse, DetokenizeAndPutSubjectMatchProtobuf) {
  EXPECT_EQ(Detokenize(R"({"tokens":["tok_a","tok_b"],"reveal":"full"})"), ParseResult::kParsed);
  EXPECT_EQ(Detokenize(R"({"reveal":"","tokens":[]})"), ParseResult::kParsed);
  EXPECT_EQ(PutSubject(R"({"fields":{"email":{"type":"email","value":"a@b.c","retention":"r"},)"
                       R"("":{},"phone":{"value":"+1"}}})"),
            ParseResult::kParsed);
}

TEST(FastCodecParse, ResultDoesNotDependOnThePreviousInput) {
  v1::TokenizeRequest big, small;
  const std::string value(10000, 'v');
  ASSERT_EQ(ParseTokenizeRequest(R"({"items":[{"value":")" + value + "\"}]}", &big),
            ParseResult::kParsed);
  ASSERT_EQ(ParseTokenizeRequest(R"({"items":[{"value":"w"}]})", &small), ParseResult::kParsed);
  EXPECT_EQ(big.items(0).value(), value);
  EXPECT_EQ(small.items(0).value(), "w");
}

// ---- printing

// Every character protobuf escapes, and some it does not.
const char kTricky[] =
    "a\"\\/<>&'\x01\x1f\x7f\b\f\n\r\t \xc2\x80\xc2\x9f\xc2\xa0\xc2\xad\xc3\xa9\xd8\x80\xd8\x83"
    "\xdb\x9d\xdc\x8f\xe1\x9e\xb4\xe1\x9e\xb5\xe2\x80\x8b\xe2\x80\x8f\xe2\x80\xa8\xe2\x80\xae"
    "\xe2\x81\xa0\xe2\x81\xa4\xe2\x81\xaa\xe2\x81\xaf\xef\xbb\xbf\xef\xbf\xb9\xef\xbf\xbb\xef\xbf"
    "\xbf\xf0\x9d\x85\xb3\xf0\x9d\x85\xba\xf0\x9f\x98\x80\xf3\xa0\x80\x81\xf3\xa0\x80\xa0\xf3\xa0"
    "\x81\xbf\xf4\x8f\xbf\xbf";

template <typename Message>
void ExpectSamePrint(const Message& m, bool (*fast)(const Message&, std::string*)) {
  std::string mine;
  ASSERT_TRUE(fast(m, &mine));
  EXPECT_EQ(mine, ProtobufPrint(m));
}

TEST(FastCodecPrint, TokenizeResponse) {
  v1::TokenizeResponse m;
  ExpectSamePrint(m, PrintTokenizeResponse);
  m.add_items();
  ExpectSamePrint(m, PrintTokenizeResponse);
  m.add_items()->set_token(kTricky);
  m.mutable_items(1)->set_type("email");
  ExpectSamePrint(m, PrintTokenizeResponse);
}

TEST(FastCodecPrint, DetokenizeResponseOptionalFieldsAndError) {
  v1::DetokenizeResponse m;
  ExpectSamePrint(m, PrintDetokenizeResponse);
  v1::DetokenizedItem* ok = m.add_items();
  ok->set_token("tok_1");
  ok->set_type("email");
  ok->set_value(kTricky);
  ok->set_reveal("full");
  v1::DetokenizedItem* failed = m.add_items();
  failed->set_token("tok_2");
  failed->mutable_error()->set_code("not_found");
  m.add_items()->set_type("");  // set but empty: printed
  m.add_items()->mutable_error();
  ExpectSamePrint(m, PrintDetokenizeResponse);
}

TEST(FastCodecPrint, SubjectResponsesWithOneEntryMatchByteForByte) {
  v1::PutSubjectResponse put;
  ExpectSamePrint(put, PrintPutSubjectResponse);
  put.set_subject("s<1>");
  (*put.mutable_tokens())[kTricky] = "tok_e";
  ExpectSamePrint(put, PrintPutSubjectResponse);
  v1::SubjectResponse read;
  ExpectSamePrint(read, PrintSubjectResponse);
  read.set_subject("s");
  v1::FieldView& f = (*read.mutable_fields())["email"];
  f.set_type("email");
  f.set_value(kTricky);
  f.set_reveal("full");
  read.add_withheld("phone");
  read.add_withheld("");
  ExpectSamePrint(read, PrintSubjectResponse);
}

TEST(FastCodecPrint, MapsPrintInKeyOrder) {
  // protobuf prints a map in its hash order; the fast printer in key order,
  // with the same entries.
  v1::PutSubjectResponse put;
  put.set_subject("s");
  for (const char* k : {"phone", "email", "b", "a"}) (*put.mutable_tokens())[k] = "t";
  std::string mine;
  ASSERT_TRUE(PrintPutSubjectResponse(put, &mine));
  EXPECT_EQ(mine, R"({"subject":"s","tokens":{"a":"t","b":"t","email":"t","phone":"t"}})");
  v1::PutSubjectResponse back;
  ASSERT_TRUE(ProtobufParse(mine, &back));
  EXPECT_TRUE(MessageDifferencer::Equals(back, put));
  EXPECT_EQ(mine.size(), ProtobufPrint(put).size());
}

TEST(FastCodecPrint, InvalidUtf8DeclinesAndLeavesOutputAlone) {
  for (const char* bad :
       {"\xff", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82", "\x80"}) {
    v1::TokenizeResponse m;
    m.add_items()->set_token("ok");
    m.add_items()->set_type(bad);
    std::string out = "prefix";
    EXPECT_FALSE(PrintTokenizeResponse(m, &out));
    EXPECT_EQ(out, "prefix");
  }
}

}  // namespace
}  // namespace vault::api::fast_codec
