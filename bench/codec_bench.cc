// The hot messages' JSON both ways (#14 item 2): protobuf's JSON mapping
// (JsonStringToMessage + MessageToJsonString with vaultd's options) against
// api/fast_codec.h. One iteration = parse a request body and print the
// reply a route would send: tokenize with 1 and 100 items, detokenize of one
// token (revealed). Run: ./build/bench/codec_bench
#include <benchmark/benchmark.h>
#include <google/protobuf/util/json_util.h>

#include <cstdlib>
#include <string>

#include "api/api.pb.h"
#include "api/fast_codec.h"

namespace {

namespace pb = google::protobuf;
namespace fc = vault::api::fast_codec;
namespace v1 = vault::api::v1;

std::string TokenizeBody(int items) {
  std::string body = R"({"items":[)";
  for (int i = 0; i < items; ++i) {
    if (i > 0) body += ",";
    body += R"({"type":"email","value":"alice.)" + std::to_string(i) +
            R"(@example.com","subject":"subj_0123456789"})";
  }
  return body + "]}";
}

v1::TokenizeResponse TokenizeReply(int items) {
  v1::TokenizeResponse out;
  for (int i = 0; i < items; ++i) {
    v1::TokenizedItem* item = out.add_items();
    item->set_token("tok_em_4fJ2kQ9xWbR7sLpT1vZc8N" + std::to_string(i));
    item->set_type("email");
  }
  return out;
}

const char kDetokenizeBody[] = R"({"tokens":["tok_em_4fJ2kQ9xWbR7sLpT1vZc8N"],"reveal":"full"})";

v1::DetokenizeResponse DetokenizeReply() {
  v1::DetokenizeResponse out;
  v1::DetokenizedItem* item = out.add_items();
  item->set_token("tok_em_4fJ2kQ9xWbR7sLpT1vZc8N");
  item->set_type("email");
  item->set_value("alice@example.com");
  item->set_reveal("full");
  return out;
}

template <typename Request>
void ProtobufParse(const std::string& body, Request* in) {
  pb::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  if (!pb::util::JsonStringToMessage(body, in, options).ok()) std::abort();
}

void ProtobufPrint(const pb::Message& out, std::string* json) {
  pb::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  if (!pb::util::MessageToJsonString(out, json, options).ok()) std::abort();
}

void BM_TokenizeProtobuf(benchmark::State& state) {
  const std::string body = TokenizeBody(static_cast<int>(state.range(0)));
  const v1::TokenizeResponse reply = TokenizeReply(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    v1::TokenizeRequest in;
    ProtobufParse(body, &in);
    std::string json;
    ProtobufPrint(reply, &json);
    benchmark::DoNotOptimize(json);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_TokenizeProtobuf)->Arg(1)->Arg(100);

void BM_TokenizeFast(benchmark::State& state) {
  const std::string body = TokenizeBody(static_cast<int>(state.range(0)));
  const v1::TokenizeResponse reply = TokenizeReply(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    v1::TokenizeRequest in;
    if (fc::ParseTokenizeRequest(body, &in) != fc::ParseResult::kParsed) std::abort();
    std::string json;
    if (!fc::PrintTokenizeResponse(reply, &json)) std::abort();
    benchmark::DoNotOptimize(json);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_TokenizeFast)->Arg(1)->Arg(100);

void BM_DetokenizeProtobuf(benchmark::State& state) {
  const std::string body = kDetokenizeBody;
  const v1::DetokenizeResponse reply = DetokenizeReply();
  for (auto _ : state) {
    v1::DetokenizeRequest in;
    ProtobufParse(body, &in);
    std::string json;
    ProtobufPrint(reply, &json);
    benchmark::DoNotOptimize(json);
  }
}
BENCHMARK(BM_DetokenizeProtobuf);

void BM_DetokenizeFast(benchmark::State& state) {
  const std::string body = kDetokenizeBody;
  const v1::DetokenizeResponse reply = DetokenizeReply();
  for (auto _ : state) {
    v1::DetokenizeRequest in;
    if (fc::ParseDetokenizeRequest(body, &in) != fc::ParseResult::kParsed) std::abort();
    std::string json;
    if (!fc::PrintDetokenizeResponse(reply, &json)) std::abort();
    benchmark::DoNotOptimize(json);
  }
}
BENCHMARK(BM_DetokenizeFast);

}  // namespace

BENCHMARK_MAIN();
