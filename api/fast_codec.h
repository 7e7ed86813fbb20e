// A wire codec for the hot messages (tokenize, detokenize, subject read and
// write) without protobuf's reflection: requests are parsed with simdjson's
// DOM parser, responses printed by hand. It accepts exactly what protobuf's
// JSON mapping (JsonStringToMessage, unknown fields rejected) accepts and
// prints the bytes MessageToJsonString prints with the options vaultd uses
// (preserve_proto_field_names, always_print_primitive_fields). The one
// difference: map entries are printed in key order, where protobuf prints
// them in its hash map's order (which differs between runs).
//
// Parsing is tri-state: an input the fast path is not sure about (null
// values, duplicate keys, numbers like 1e2 or strings like "+5" for int64,
// single quotes and other syntax protobuf tolerates) is kFallback: the
// caller parses it with protobuf. kRejected means protobuf rejects it too
// (the caller re-runs protobuf's parser to produce today's error).
// Printing returns false (the caller prints with protobuf) for a string that
// is not valid UTF-8.
//
// Thread-safety: every function may be called from many threads at once
// (the parser and its buffers are thread-local). The parser's copies of the
// input (values of personal data) are wiped before each parse returns.
#ifndef VAULT_API_FAST_CODEC_H_
#define VAULT_API_FAST_CODEC_H_

#include <string>
#include <string_view>

#include "api/api.pb.h"

namespace vault::api::fast_codec {

enum class ParseResult {
  kParsed,    // `out` holds what protobuf's parser would produce
  kRejected,  // protobuf's parser rejects the input as well
  kFallback,  // not decided here: parse with protobuf (`out` is cleared)
};

// `json` is the request body ("" is not special here: callers map an empty
// body to "{}" as Call::Parse does). `out` is cleared first.
ParseResult ParseTokenizeRequest(std::string_view json, v1::TokenizeRequest* out);
ParseResult ParseDetokenizeRequest(std::string_view json, v1::DetokenizeRequest* out);
ParseResult ParsePutSubjectRequest(std::string_view json, v1::PutSubjectRequest* out);

// Append the JSON of `message` to `out`; false (and `out` unchanged) when a
// string is not valid UTF-8: print with protobuf then.
bool PrintTokenizeResponse(const v1::TokenizeResponse& message, std::string* out);
bool PrintDetokenizeResponse(const v1::DetokenizeResponse& message, std::string* out);
bool PrintPutSubjectResponse(const v1::PutSubjectResponse& message, std::string* out);
bool PrintSubjectResponse(const v1::SubjectResponse& message, std::string* out);

// Appends `s` as a JSON string literal escaped as protobuf's JSON printer
// escapes it; false when `s` is not valid UTF-8 (`out` then holds a prefix).
bool AppendJsonString(std::string_view s, std::string* out);

}  // namespace vault::api::fast_codec

#endif  // VAULT_API_FAST_CODEC_H_
