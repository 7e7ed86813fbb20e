// Protobuf JSON helpers (see json.h).
#include "client/json.h"

#include <google/protobuf/util/json_util.h>

namespace vault::client {
namespace {

namespace pb = google::protobuf;

absl::Status Parse(std::string_view json, pb::Message* out, bool ignore_unknown) {
  pb::util::JsonParseOptions options;
  options.ignore_unknown_fields = ignore_unknown;
  if (!pb::util::JsonStringToMessage(std::string(json), out, options).ok()) {
    return absl::InvalidArgumentError("malformed JSON or unknown field");
  }
  return absl::OkStatus();
}

std::string Print(const pb::Message& message, bool all_fields) {
  pb::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = all_fields;
  std::string out;
  (void)pb::util::MessageToJsonString(message, &out, options);
  return out;
}

}  // namespace

absl::Status ParseJson(std::string_view json, pb::Message* out) { return Parse(json, out, false); }
absl::Status ParseAnswerJson(std::string_view json, pb::Message* out) {
  return Parse(json, out, true);
}
std::string ToJson(const pb::Message& message) { return Print(message, false); }
std::string ToAnswerJson(const pb::Message& message) { return Print(message, true); }

}  // namespace vault::client
