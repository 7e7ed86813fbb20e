// VaultClient implementation.
#include "ops/client.h"

#include <google/protobuf/util/json_util.h>

#include "absl/strings/numbers.h"
#include "api/api.pb.h"
#include "vault/strings.h"

namespace vault::ops {
namespace {

namespace pb = google::protobuf;

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

}  // namespace

absl::Status ParseAddress(std::string_view addr, bool* tls, std::string* host, int* port) {
  std::string_view rest;
  if (addr.rfind("http://", 0) == 0) {
    *tls = false;
    rest = addr.substr(7);
  } else if (addr.rfind("https://", 0) == 0) {
    *tls = true;
    rest = addr.substr(8);
  } else {
    return absl::InvalidArgumentError("address must start with http:// or https://");
  }
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  const size_t colon = rest.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return absl::InvalidArgumentError("address must be http(s)://HOST:PORT");
  }
  std::string_view h = rest.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  int p = 0;
  if (!absl::SimpleAtoi(std::string(rest.substr(colon + 1)), &p) || p <= 0 || p > 65535 || h.empty()) {
    return absl::InvalidArgumentError("address must be http(s)://HOST:PORT with a port 1-65535");
  }
  *host = std::string(h);
  *port = p;
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<VaultClient>> VaultClient::Create(ClientOptions options) {
  bool tls = false;
  std::string host;
  int port = 0;
  if (absl::Status s = ParseAddress(options.addr, &tls, &host, &port); !s.ok()) return s;
  TlsClientOptions tls_options{options.ca_file, options.client_cert, options.client_key};
  auto http = std::make_unique<HttpClient>(host, port, tls ? &tls_options : nullptr);
  http->set_timeout(options.timeout);
  return std::unique_ptr<VaultClient>(new VaultClient(std::move(options), std::move(http)));
}

absl::StatusOr<std::string> VaultClient::CallRaw(
    const std::string& method, const std::string& path, const std::string& body,
    const std::map<std::string, std::string>& headers,
    std::map<std::string, std::string>* response_headers) {
  std::map<std::string, std::string> all = headers;
  if (!options_.api_key.empty()) all["Authorization"] = "Bearer " + options_.api_key;
  HttpResult r = http_->Request(method, path, body, all);
  if (r.status == 0) {
    return absl::UnavailableError(Cat("server unreachable at ", options_.addr, ": ", r.error));
  }
  if (response_headers != nullptr) *response_headers = r.headers;
  if (r.status >= 200 && r.status < 300) {
    last_body_ = r.body;
    return r.body;
  }
  api::v1::ErrorResponse error;
  std::string code = "HTTP_" + std::to_string(r.status), message = "no error details";
  if (ParseJson(r.body, &error).ok()) {
    code = error.error().code();
    message = error.error().message();
  }
  std::string where = Cat("HTTP ", r.status);
  if (auto it = r.headers.find("x-request-id"); it != r.headers.end()) {
    where += Cat(", request ", it->second);
  }
  return absl::Status(CodeForHttp(r.status), Cat(code, ": ", message, " (", where, ")"));
}

absl::Status VaultClient::Call(const std::string& method, const std::string& path,
                               const pb::Message* in, pb::Message* out,
                               const std::map<std::string, std::string>& headers) {
  absl::StatusOr<std::string> body = CallRaw(method, path, in == nullptr ? "" : ToJson(*in), headers);
  if (!body.ok()) return body.status();
  if (out == nullptr || body->empty()) return absl::OkStatus();
  pb::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;  // newer servers may add fields
  if (!pb::util::JsonStringToMessage(*body, out, options).ok()) {
    return absl::InternalError("the server's answer is not the expected JSON");
  }
  return absl::OkStatus();
}

absl::Status ParseJson(std::string_view json, pb::Message* out) {
  pb::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  if (!pb::util::JsonStringToMessage(std::string(json), out, options).ok()) {
    return absl::InvalidArgumentError("malformed JSON or unknown field");
  }
  return absl::OkStatus();
}

std::string ToJson(const pb::Message& message) {
  pb::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string out;
  (void)pb::util::MessageToJsonString(message, &out, options);
  return out;
}

}  // namespace vault::ops

namespace vault::ops {

absl::StatusOr<HttpResult> VaultClient::Send(const std::string& method, const std::string& path) {
  std::map<std::string, std::string> headers;
  if (!options_.api_key.empty()) headers["Authorization"] = "Bearer " + options_.api_key;
  HttpResult r = http_->Request(method, path, "", headers);
  if (r.status == 0) {
    return absl::UnavailableError(Cat("server unreachable at ", options_.addr, ": ", r.error));
  }
  return r;
}

}  // namespace vault::ops
