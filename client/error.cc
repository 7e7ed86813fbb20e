// Error answers -> statuses (see error.h).
#include "client/error.h"

#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "api/api.pb.h"
#include "client/json.h"

namespace vault::client {
namespace {

constexpr char kCodePayload[] = "vaultd.wire_code";
constexpr char kHttpPayload[] = "vaultd.http_status";

absl::StatusCode CodeForHttp(int status) {
  switch (status) {
    case 400: return absl::StatusCode::kInvalidArgument;
    case 401: return absl::StatusCode::kUnauthenticated;
    case 403: return absl::StatusCode::kPermissionDenied;
    case 404:
    case 410: return absl::StatusCode::kNotFound;
    case 409: return absl::StatusCode::kFailedPrecondition;
    case 429:
    case 503: return absl::StatusCode::kUnavailable;
    case 501: return absl::StatusCode::kUnimplemented;
    default: return absl::StatusCode::kInternal;
  }
}

absl::StatusCode CodeFor(const ClientError& e) {
  static const auto* const kCodes = new std::map<std::string, absl::StatusCode, std::less<>>{
      {"INVALID_ARGUMENT", absl::StatusCode::kInvalidArgument},
      {"UNAUTHENTICATED", absl::StatusCode::kUnauthenticated},
      {"PERMISSION_DENIED", absl::StatusCode::kPermissionDenied},
      {"NOT_FOUND", absl::StatusCode::kNotFound},
      {"GONE", absl::StatusCode::kNotFound},
      {"EXPIRED", absl::StatusCode::kNotFound},
      {"ALREADY_EXISTS", absl::StatusCode::kAlreadyExists},
      {"FAILED_PRECONDITION", absl::StatusCode::kFailedPrecondition},
      {"RESOURCE_EXHAUSTED", absl::StatusCode::kResourceExhausted},
      {"UNAVAILABLE", absl::StatusCode::kUnavailable},
      {"SEALED", absl::StatusCode::kUnavailable},
      {"UNIMPLEMENTED", absl::StatusCode::kUnimplemented},
      {"INTERNAL", absl::StatusCode::kInternal},
  };
  auto it = kCodes->find(e.code);
  return it != kCodes->end() ? it->second : CodeForHttp(e.http_status);
}

}  // namespace

ClientError DecodeError(int http_status, std::string_view body) {
  ClientError e;
  e.http_status = http_status;
  e.code = absl::StrCat("HTTP_", http_status);
  e.message = "no error details";
  api::v1::ErrorResponse parsed;
  if (ParseJson(body, &parsed).ok() && !parsed.error().code().empty()) {
    e.code = parsed.error().code();
    e.message = parsed.error().message();
    e.request_id = parsed.error().request_id();
  }
  return e;
}

absl::Status ToStatus(const ClientError& e) {
  std::string where = absl::StrCat("HTTP ", e.http_status);
  if (!e.request_id.empty()) absl::StrAppend(&where, ", request ", e.request_id);
  absl::Status status(CodeFor(e), absl::StrCat(e.code, ": ", e.message, " (", where, ")"));
  status.SetPayload(kCodePayload, absl::Cord(e.code));
  status.SetPayload(kHttpPayload, absl::Cord(std::to_string(e.http_status)));
  return status;
}

absl::Status ErrorStatus(int http_status, std::string_view body, std::string_view request_id) {
  ClientError e = DecodeError(http_status, body);
  if (!request_id.empty()) e.request_id = std::string(request_id);
  return ToStatus(e);
}

std::string WireCode(const absl::Status& status) {
  auto code = status.GetPayload(kCodePayload);
  return code.has_value() ? std::string(*code) : std::string();
}

int HttpStatusOf(const absl::Status& status) {
  auto http = status.GetPayload(kHttpPayload);
  int out = 0;
  if (!http.has_value() || !absl::SimpleAtoi(std::string(*http), &out)) return 0;
  return out;
}

}  // namespace vault::client
