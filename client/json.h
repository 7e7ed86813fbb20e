// Protobuf JSON mapping as vaultd speaks it: field names as in api.proto
// (snake_case), every primitive field printed (as the server prints them).
// Thread-safety: pure functions.
#ifndef VAULT_CLIENT_JSON_H_
#define VAULT_CLIENT_JSON_H_

#include <google/protobuf/message.h>

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace vault::client {

// Strict: unknown fields are INVALID_ARGUMENT.
[[nodiscard]] absl::Status ParseJson(std::string_view json, google::protobuf::Message* out);
// Lenient, for the server's answers: unknown fields (newer servers) ignored.
[[nodiscard]] absl::Status ParseAnswerJson(std::string_view json, google::protobuf::Message* out);
// Snake_case names, primitive fields omitted when default (requests: an
// omitted field lets the server apply its default).
std::string ToJson(const google::protobuf::Message& message);
// Snake_case names and every primitive field, exactly as vaultd prints its
// answers (vaultctl --json).
std::string ToAnswerJson(const google::protobuf::Message& message);

}  // namespace vault::client

#endif  // VAULT_CLIENT_JSON_H_
