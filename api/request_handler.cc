// RequestHandler implementation: request ids, percent-decoding, the Call
// helpers (replies, errors, body parsing), the route table and its lookup.
// The handlers themselves live in routes_*.cc, one file per resource.
#include "api/request_handler.h"

#include <google/protobuf/util/json_util.h>

#include <chrono>
#include <optional>
#include <set>
#include <span>

#include "api/api.pb.h"
#include "api/internal/routes.h"
#include "api/status_http.h"
#include "api/wire.h"
#include "base/strings.h"
#include "crypto/encoding.h"
#include "crypto/random.h"

namespace vault::api {

using internal::Call;
using internal::Route;

namespace {

namespace pb = google::protobuf;

constexpr std::string_view kProtobufType = "application/x-protobuf";

// Answered without an API key.
constexpr Route kPublicRoutes[] = {
    {"GET", "/metrics", &internal::HandleMetrics},
    {"GET", "/v1/sys/health", &internal::HandleHealth},
    {"POST", "/v1/sys/init", &internal::HandleInit},
    {"POST", "/v1/sys/unseal", &internal::HandleUnseal},
    {"GET", "/v1/sys/receipt-key", &internal::HandleReceiptKey},
    {"POST", "/v1/sys/rekey", &internal::HandleRekey},
    {"DELETE", "/v1/sys/rekey", &internal::HandleCancelRekey},
    {"GET", "/ui", &internal::HandleConsoleRedirect},
    {"GET", "/ui/{file}", &internal::HandleConsoleFile},
};

// Authenticated (bearer API key) before the path is even looked up, so an
// unknown /v1/... path without a valid key is a 401, not a 404.
constexpr Route kRoutes[] = {
    {"POST", "/v1/sys/seal", &internal::HandleSeal},
    {"GET", "/v1/sys/audit/verify", &internal::HandleAuditVerify},
    {"POST", "/v1/sys/rotate-root", &internal::HandleRotateRoot},
    {"POST", "/v1/sys/backups", &internal::HandleCreateBackup},
    {"GET", "/v1/sys/audit/export", &internal::HandleAuditExport},
    {"GET", "/v1/sys/shred-ledger", &internal::HandleShredLedger},
    {"POST", "/v1/sys/root-api-key/rotate", &internal::HandleRotateRootApiKey},
    {"GET", "/v1/jobs/{job_id}", &internal::HandleGetJob},
    {"POST", "/v1/tenants", &internal::HandleCreateTenant},
    {"DELETE", "/v1/tenants/{tenant}", &internal::HandleEraseTenant},
    {"GET", "/v1/tenants/{tenant}", &internal::HandleGetTenant},
    {"GET", "/v1/tenants/{tenant}/roles", &internal::HandleListRoles},
    {"PUT", "/v1/tenants/{tenant}/roles/{role}", &internal::HandlePutRole},
    {"POST", "/v1/tenants/{tenant}/principals", &internal::HandleCreatePrincipal},
    {"DELETE", "/v1/tenants/{tenant}/principals/{id}", &internal::HandleDeletePrincipal},
    {"POST", "/v1/tenants/{tenant}/tokenize", &internal::HandleTokenize},
    {"POST", "/v1/tenants/{tenant}/detokenize", &internal::HandleDetokenize},
    {"DELETE", "/v1/tenants/{tenant}/tokens/{token}", &internal::HandleRevokeToken},
    {"POST", "/v1/tenants/{tenant}/subjects:search", &internal::HandleSearchSubjects},
    {"PUT", "/v1/tenants/{tenant}/subjects/{subject}", &internal::HandlePutSubject},
    {"GET", "/v1/tenants/{tenant}/subjects/{subject}", &internal::HandleReadSubject},
    {"DELETE", "/v1/tenants/{tenant}/subjects/{subject}/fields/{field}",
     &internal::HandleDeleteField},
    {"POST", "/v1/tenants/{tenant}/subjects/{subject}/erasure", &internal::HandleRequestErasure},
    {"DELETE", "/v1/tenants/{tenant}/subjects/{subject}/erasure", &internal::HandleCancelErasure},
    {"PUT", "/v1/tenants/{tenant}/subjects/{subject}/holds/{hold_id}", &internal::HandlePutHold},
    {"DELETE", "/v1/tenants/{tenant}/subjects/{subject}/holds/{hold_id}",
     &internal::HandleReleaseHold},
    {"GET", "/v1/tenants/{tenant}/subjects/{subject}/export", &internal::HandleExportSubject},
    {"GET", "/v1/tenants/{tenant}/erasures/{erasure_id}", &internal::HandleGetErasure},
    {"GET", "/v1/tenants/{tenant}/audit", &internal::HandleQueryAudit},
    {"GET", "/v1/tenants/{tenant}/retention-classes", &internal::HandleListRetentionClasses},
    {"PUT", "/v1/tenants/{tenant}/retention-classes/{class}", &internal::HandlePutRetentionClass},
    {"GET", "/v1/tenants/{tenant}/keys", &internal::HandleListKeys},
    {"POST", "/v1/tenants/{tenant}/keys/rotate", &internal::HandleRotateKey},
    {"POST", "/v1/tenants/{tenant}/keys/rewrap", &internal::HandleRewrapKeys},
    // --- #17 access reports
    {"GET", "/v1/tenants/{tenant}/subjects/{subject}/access-report", &internal::HandleAccessReport},
    // console/#18
    {"GET", "/v1/tenants/{tenant}/principals", &internal::HandleListPrincipals},
    // #17 item 1: consent.
    {"GET", "/v1/tenants/{tenant}/subjects/{subject}/consent", &internal::HandleGetConsent},
    {"PUT", "/v1/tenants/{tenant}/subjects/{subject}/consent", &internal::HandlePutConsent},
    // Processors and erasure notices (#17 item 4).
    {"GET", "/v1/tenants/{tenant}/processors", &internal::HandleListProcessors},
    {"PUT", "/v1/tenants/{tenant}/processors/{name}", &internal::HandlePutProcessor},
    {"GET", "/v1/tenants/{tenant}/processors/{name}", &internal::HandleGetProcessor},
    {"DELETE", "/v1/tenants/{tenant}/processors/{name}", &internal::HandleDeleteProcessor},
};

// Matches `path` (a template starting with '/') against decoded segments;
// on a match, fills `params` with the values of its {placeholders}.
bool MatchPath(std::string_view path, const std::vector<std::string>& seg,
               std::vector<std::pair<std::string_view, std::string>>* params) {
  params->clear();
  size_t i = 0;
  std::string_view rest = path.substr(1);
  for (;;) {
    const size_t slash = rest.find('/');
    const std::string_view part = rest.substr(0, slash);
    if (i >= seg.size()) return false;
    if (part.size() >= 2 && part.front() == '{' && part.back() == '}') {
      params->emplace_back(part.substr(1, part.size() - 2), seg[i]);
    } else if (part != seg[i]) {
      return false;
    }
    ++i;
    if (slash == std::string_view::npos) break;
    rest = rest.substr(slash + 1);
  }
  return i == seg.size();
}

// The response of the route matching the call's path and method; a 405 when
// only the path matches (no Allow header), nothing when no path matches.
// Sets call.route to the matched template.
// Routes about this node only: they need no view of the other nodes'
// changes.
bool NodeLocal(const Call& call) {
  if (call.seg.empty()) return false;
  if (call.seg[0] == "metrics" || call.seg[0] == "ui") return true;
  return call.seg.size() == 3 && call.seg[0] == "v1" && call.seg[1] == "sys" &&
         call.seg[2] == "health";
}

std::optional<HttpResponse> RouteCall(std::span<const Route> routes, Call& call) {
  bool path_matched = false;
  for (const Route& route : routes) {
    if (!MatchPath(route.path, call.seg, &call.params)) continue;
    path_matched = true;
    call.route = std::string(route.path);
    if (route.method == call.req.method) return route.handler(call);
  }
  if (!path_matched) return std::nullopt;
  return MakeErrorResponse(405, "INVALID_ARGUMENT", "method not allowed on this path",
                           call.request_id);
}

bool ValidRequestId(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    if (c <= 0x20 || c >= 0x7f || c == '"' || c == '\\') return false;
  }
  return true;
}

// Decodes the path into segments and the query into key/value pairs.
bool DecodeTarget(const HttpRequest& request, Call* call) {
  if (request.path.empty() || request.path[0] != '/') return false;
  for (const std::string& raw : Split(std::string_view(request.path).substr(1), '/')) {
    std::string decoded;
    if (!Unescape(raw, false, &decoded)) return false;
    call->seg.push_back(std::move(decoded));
  }
  if (request.query.empty()) return true;
  for (const std::string& pair : Split(request.query, '&')) {
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    std::string key, value;
    if (!Unescape(std::string_view(pair).substr(0, eq), true, &key) ||
        !Unescape(
            eq == std::string::npos ? std::string_view() : std::string_view(pair).substr(eq + 1),
            true, &value)) {
      return false;
    }
    call->query[key] = value;
  }
  return true;
}

}  // namespace

HttpResponse MakeErrorResponse(int http_status, std::string_view code, std::string_view message,
                               std::string_view request_id) {
  v1::ErrorResponse body;
  body.mutable_error()->set_code(std::string(code));
  body.mutable_error()->set_message(std::string(message));
  body.mutable_error()->set_request_id(std::string(request_id));
  HttpResponse r;
  r.status = http_status;
  pb::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  (void)pb::util::MessageToJsonString(body, &r.body, options);
  r.request_id = std::string(request_id);
  return r;
}

namespace internal {

const std::string& Call::Param(std::string_view name) const {
  for (const auto& [key, value] : params) {
    if (key == name) return value;
  }
  static const std::string kNone;
  return kNone;
}

std::string Call::QueryValue(std::string_view key) const {
  auto it = query.find(std::string(key));
  return it == query.end() ? std::string() : it->second;
}

HttpResponse Call::Reply(const pb::Message& message, int status) {
  HttpResponse r;
  r.status = status;
  if (binary_out) {
    r.content_type = std::string(kProtobufType);
    message.SerializeToString(&r.body);
  } else {
    pb::util::JsonPrintOptions options;
    options.preserve_proto_field_names = true;
    options.always_print_primitive_fields = true;
    if (!pb::util::MessageToJsonString(message, &r.body, options).ok()) {
      return Error(absl::InternalError("response encoding failed"));
    }
  }
  return r;
}

HttpResponse Call::NoContent() {
  HttpResponse r;
  r.status = 204;
  r.content_type.clear();
  return r;
}

HttpResponse Call::Error(const absl::Status& status) {
  HttpError e = ToHttpError(status);
  // Internal failures get a fixed message; others are fixed domain texts.
  std::string message = e.status >= 500 && e.status != 503 && e.status != 501
                            ? "internal error"
                            : std::string(status.message());
  return MakeErrorResponse(e.status, e.code, message, request_id);
}

absl::Status Call::Parse(pb::Message* message) {
  if (binary_in) {
    if (!message->ParseFromString(req.body)) {
      return absl::InvalidArgumentError("body is not a valid protobuf message");
    }
    if (!message->GetReflection()->GetUnknownFields(*message).empty()) {
      return absl::InvalidArgumentError("body has unknown fields");
    }
    return absl::OkStatus();
  }
  const std::string body = req.body.empty() ? "{}" : req.body;
  pb::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  return pb::util::JsonStringToMessage(body, message, options).ok()
             ? absl::OkStatus()
             : absl::InvalidArgumentError("malformed JSON, unknown field or wrong type");
}

}  // namespace internal

bool RequestHandler::RunsOnIoThread(std::string_view method, std::string_view path) {
  if (method == "GET" && (path == "/v1/sys/health" || path == "/metrics")) return true;
  constexpr std::string_view kTenants = "/v1/tenants/";
  if (path.substr(0, kTenants.size()) != kTenants) return false;
  std::vector<std::string_view> parts;  // after the tenant's slash
  for (std::string_view rest = path.substr(kTenants.size());;) {
    const size_t slash = rest.find('/');
    parts.push_back(rest.substr(0, slash));
    if (slash == std::string_view::npos) break;
    rest = rest.substr(slash + 1);
  }
  if (method == "POST") {
    return parts.size() == 2 && (parts[1] == "tokenize" || parts[1] == "detokenize");
  }
  return method == "GET" && parts.size() == 3 && parts[1] == "subjects";  // subject read
}

HttpResponse RequestHandler::Handle(const HttpRequest& request) {
  const auto start = std::chrono::steady_clock::now();
  Call call(request);
  call.request_id = request.Header("x-request-id");
  if (!ValidRequestId(call.request_id)) {
    call.request_id = Cat("req_", crypto::HexEncode(crypto::SystemRandom::Instance().Bytes(8)));
  }
  const std::string content_type = request.Header("content-type");
  call.binary_in = content_type.rfind(kProtobufType, 0) == 0;
  call.binary_out =
      call.binary_in || request.Header("accept").find(kProtobufType) != std::string::npos;

  HttpResponse response =
      DecodeTarget(request, &call)
          ? Dispatch(call)
          : call.Error(absl::InvalidArgumentError("malformed path or query string"));
  response.route = call.route;
  response.principal = call.principal_id;
  response.request_id = call.request_id;
  response.headers.emplace_back("X-Request-Id", call.request_id);
  if (metrics_ != nullptr) {
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    // Labels come from fixed sets only (route templates, known methods).
    static const std::set<std::string> kMethods = {"GET", "POST", "PUT", "DELETE", "HEAD", "PATCH"};
    const std::string method = kMethods.count(request.method) != 0 ? request.method : "OTHER";
    metrics_->ObserveRequest(method, call.route, response.status, seconds);
    if (response.status == 403) metrics_->Add("denials");
  }
  return response;
}

// Public routes first; then any /v1/... call authenticates before its path is
// looked up (so which error wins stays: 401 before 404/405/400).
HttpResponse RequestHandler::Dispatch(Call& call) {
  call.vault = vault_;
  call.metrics = metrics_;
  call.handler_options = &options_;
  // Several nodes on one store: every change another node answered before
  // this request arrived is put in force first (the node's own state
  // excepted: health and metrics answer even when the store cannot).
  if (!NodeLocal(call)) {
    if (absl::Status synced = vault_->system().SyncWithCluster(); !synced.ok()) {
      call.route = "cluster_sync";
      return call.Error(
          absl::UnavailableError(Cat("cannot sync with the cluster: ", synced.message())));
    }
  }
  if (std::optional<HttpResponse> r = RouteCall(kPublicRoutes, call)) return *std::move(r);
  if (call.seg.size() < 2 || call.seg[0] != "v1") {
    return call.Error(absl::NotFoundError("no such route"));
  }

  const std::string auth = call.req.Header("authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (auth.rfind(kBearer, 0) != 0) {
    call.route = "authenticate";
    return call.Error(absl::UnauthenticatedError("missing or unknown API key"));
  }
  absl::StatusOr<Principal> principal =
      vault_->system().Authenticate(std::string_view(auth).substr(kBearer.size()));
  if (!principal.ok()) {
    call.route = "authenticate";
    return call.Error(principal.status());
  }
  call.principal_id = principal->id;
  call.ctx.emplace(
      RequestContext{std::move(*principal), call.request_id, call.req.Header("x-purpose")});

  if (std::optional<HttpResponse> r = RouteCall(kRoutes, call)) return *std::move(r);
  return call.Error(absl::NotFoundError("no such route"));
}

}  // namespace vault::api
