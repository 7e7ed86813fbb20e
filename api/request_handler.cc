// RequestHandler implementation.
#include "api/request_handler.h"

#include <google/protobuf/util/json_util.h>

#include <chrono>
#include <optional>
#include <set>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/time/time.h"
#include "api/api.pb.h"
#include "api/status_http.h"
#include "api/views.h"
#include "crypto/encoding.h"
#include "crypto/random.h"
#include "vault/status.h"
#include "vault/strings.h"

namespace vault::api {
namespace {

namespace pb = google::protobuf;

constexpr std::string_view kProtobufType = "application/x-protobuf";

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t, absl::UTCTimeZone());
}

std::vector<std::string> Split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t end = s.find(sep, start);
    if (end == std::string_view::npos) {
      out.emplace_back(s.substr(start));
      return out;
    }
    out.emplace_back(s.substr(start, end - start));
    start = end + 1;
  }
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decoding; in a query string '+' also stands for a space.
bool Unescape(std::string_view in, bool query, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%') {
      if (i + 2 >= in.size()) return false;
      const int hi = HexValue(in[i + 1]);
      const int lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out->push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (query && in[i] == '+') {
      out->push_back(' ');
    } else {
      out->push_back(in[i]);
    }
  }
  return true;
}

bool ValidRequestId(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    if (c <= 0x20 || c >= 0x7f || c == '"' || c == '\\') return false;
  }
  return true;
}

std::string_view StateName(records::KekVersion::State s) {
  switch (s) {
    case records::KekVersion::ACTIVE: return "active";
    case records::KekVersion::RETIRED: return "retired";
    case records::KekVersion::DESTROYED: return "destroyed";
    default: return "unknown";
  }
}

v1::AuditEntryView AuditEntryViewOf(const records::AuditEntry& e) {
  v1::AuditEntryView v;
  v.set_seq(static_cast<double>(e.seq()));
  v.set_time(Rfc3339(absl::FromUnixMillis(e.time_unix_ms())));
  v.set_principal(e.principal());
  v.set_action(e.action());
  v.set_subject(e.subject());
  for (const auto& t : e.types()) v.add_types(t);
  v.set_purpose(e.purpose());
  v.set_outcome(e.outcome());
  v.set_request_id(e.request_id());
  return v;
}

v1::JobResponse JobView(const records::RewrapJob& job) {
  v1::JobResponse out;
  out.set_job_id(job.job_id());
  out.set_state(job.state());
  out.set_done(static_cast<double>(job.done()));
  out.set_total(static_cast<double>(job.total()));
  out.set_tenant(job.tenant());
  out.set_error(job.error());
  return out;
}

v1::KeyList KeyListOf(const std::vector<KekInfo>& keys) {
  v1::KeyList out;
  for (const KekInfo& k : keys) {
    v1::KeyVersion* v = out.add_versions();
    v->set_version(static_cast<int32_t>(k.version));
    v->set_state(std::string(StateName(k.state)));
    v->set_created_at(Rfc3339(k.created_at));
  }
  return out;
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

// One request being handled.
struct RequestHandler::Call {
  const HttpRequest& req;
  std::vector<std::string> seg;
  std::map<std::string, std::string> query;
  std::string request_id;
  bool binary_in = false;
  bool binary_out = false;
  std::string route = "unknown";
  std::string principal_id;

  HttpResponse Reply(const pb::Message& message, int status = 200) {
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
  HttpResponse NoContent() {
    HttpResponse r;
    r.status = 204;
    r.content_type.clear();
    return r;
  }
  HttpResponse Error(const absl::Status& status) {
    HttpError e = ToHttpError(status);
    // Internal failures get a fixed message; others are fixed domain texts.
    std::string message = e.status >= 500 && e.status != 503 && e.status != 501
                              ? "internal error"
                              : std::string(status.message());
    return MakeErrorResponse(e.status, e.code, message, request_id);
  }
  // Parses the body (empty = {}); unknown fields are rejected.
  absl::Status Parse(pb::Message* message) {
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
    absl::Status s = pb::util::JsonStringToMessage(body, message, options).ok()
                         ? absl::OkStatus()
                         : absl::InvalidArgumentError("malformed JSON, unknown field or wrong type");
    return s;
  }
};

HttpResponse RequestHandler::Handle(const HttpRequest& request) {
  const auto start = std::chrono::steady_clock::now();
  Call call{request, {}, {}, {}, false, false, "unknown", {}};
  call.request_id = request.Header("x-request-id");
  if (!ValidRequestId(call.request_id)) {
    call.request_id = Cat("req_", crypto::HexEncode(crypto::SystemRandom::Instance().Bytes(8)));
  }
  const std::string content_type = request.Header("content-type");
  call.binary_in = content_type.rfind(kProtobufType, 0) == 0;
  call.binary_out =
      call.binary_in || request.Header("accept").find(kProtobufType) != std::string::npos;

  HttpResponse response;
  bool ok = true;
  if (request.path.empty() || request.path[0] != '/') ok = false;
  if (ok) {
    for (const std::string& raw : Split(std::string_view(request.path).substr(1), '/')) {
      std::string decoded;
      if (!Unescape(raw, false, &decoded)) {
        ok = false;
        break;
      }
      call.seg.push_back(std::move(decoded));
    }
  }
  if (ok && !request.query.empty()) {
    for (const std::string& pair : Split(request.query, '&')) {
      if (pair.empty()) continue;
      const size_t eq = pair.find('=');
      std::string key, value;
      if (!Unescape(std::string_view(pair).substr(0, eq), true, &key) ||
          !Unescape(eq == std::string::npos ? std::string_view() : std::string_view(pair).substr(eq + 1),
                    true, &value)) {
        ok = false;
        break;
      }
      call.query[key] = value;
    }
  }
  response = ok ? Dispatch(call)
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

HttpResponse RequestHandler::Dispatch(Call& call) {
  const std::vector<std::string>& s = call.seg;
  const std::string& method = call.req.method;
  auto wrong_method = [&] {
    return MakeErrorResponse(405, "INVALID_ARGUMENT", "method not allowed on this path",
                         call.request_id);
  };

  if (s.size() == 1 && s[0] == "metrics") {
    call.route = "/metrics";
    if (method != "GET") return wrong_method();
    const storage::StorageHealth storage = vault_->kv().Health();
    std::map<std::string, double> gauges = {
        {"sealed", vault_->keys().sealed() ? 1 : 0},
        {"storage_writable", storage.writable ? 1 : 0},
        {"storage_reserve_released", storage.reserve_released ? 1 : 0},
        {"audit_entries_appended", static_cast<double>(vault_->audit().appended())},
        {"commit_groups", static_cast<double>(vault_->committer().groups())}};
    HttpResponse r;
    r.content_type = "text/plain; version=0.0.4";
    r.body = metrics_ != nullptr ? metrics_->Render(gauges) : "";
    r.body += Metrics::RenderStorageErrors(storage.no_space_errors, storage.io_errors);
    return r;
  }
  if (s.size() < 2 || s[0] != "v1") {
    return call.Error(absl::NotFoundError("no such route"));
  }

  // ---- unauthenticated system calls
  if (s[1] == "sys" && s.size() == 3 && s[2] == "health") {
    call.route = "/v1/sys/health";
    if (method != "GET") return wrong_method();
    v1::HealthResponse h;
    h.set_initialized(vault_->keys().initialized());
    h.set_sealed(vault_->keys().sealed());
    h.set_version(options_.version);
    const storage::StorageHealth storage = vault_->kv().Health();
    v1::StorageHealth* sh = h.mutable_storage();
    sh->set_writable(storage.writable);
    sh->set_reserve_released(storage.reserve_released);
    sh->set_error(!storage.writable ? storage.error : storage.reserve_released ? "low_space" : "");
    sh->set_ok(sh->error().empty());
    // The status code keeps its meaning (initialised and unsealed); storage
    // problems are told by the field.
    return call.Reply(h, h.initialized() && !h.sealed() ? 200 : 503);
  }
  if (s[1] == "sys" && s.size() == 3 && s[2] == "init") {
    call.route = "/v1/sys/init";
    if (method != "POST") return wrong_method();
    v1::InitRequest in;
    if (absl::Status st = call.Parse(&in); !st.ok()) return call.Error(st);
    const int shares = in.shares() == 0 ? 5 : in.shares();
    const int threshold = in.threshold() == 0 ? 3 : in.threshold();
    if (vault_->keys().initialized()) {
      return call.Error(absl::FailedPreconditionError("vault is already initialised"));
    }
    absl::StatusOr<KeyHierarchy::ShamirInit> init =
        vault_->keys().InitializeWithShares(shares, threshold);
    if (!init.ok()) return call.Error(init.status());
    v1::InitResponse out;
    for (std::string& share : init->shares) out.add_unseal_shares(std::move(share));
    out.set_root_api_key(std::move(init->root_api_key));
    return call.Reply(out);
  }
  if (s[1] == "sys" && s.size() == 3 && s[2] == "unseal") {
    call.route = "/v1/sys/unseal";
    if (method != "POST") return wrong_method();
    v1::UnsealRequest in;
    if (absl::Status st = call.Parse(&in); !st.ok()) return call.Error(st);
    absl::StatusOr<KeyHierarchy::UnsealProgress> p = vault_->keys().SubmitUnsealShare(in.share());
    if (!p.ok()) return call.Error(p.status());
    v1::UnsealResponse out;
    out.set_sealed(p->sealed);
    out.set_progress(p->progress);
    out.set_threshold(p->threshold);
    return call.Reply(out);
  }
  if (s[1] == "sys" && s.size() == 3 && s[2] == "receipt-key") {
    call.route = "/v1/sys/receipt-key";
    if (method != "GET") return wrong_method();
    absl::StatusOr<std::string> pk = vault_->keys().SigningPublicKey();
    if (!pk.ok()) return call.Error(pk.status());
    v1::ReceiptKeyResponse out;
    out.set_public_key(crypto::Base64Encode(*pk));
    return call.Reply(out);
  }

  // ---- everything else needs a principal
  const std::string auth = call.req.Header("authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (auth.rfind(kBearer, 0) != 0) {
    call.route = "authenticate";
    return call.Error(absl::UnauthenticatedError("missing or unknown API key"));
  }
  absl::StatusOr<Principal> principal =
      vault_->principals().Authenticate(std::string_view(auth).substr(kBearer.size()));
  if (!principal.ok()) {
    call.route = "authenticate";
    return call.Error(principal.status());
  }
  call.principal_id = principal->id;
  RequestContext ctx{std::move(*principal), call.request_id, call.req.Header("x-purpose")};
  DataAccess& access = vault_->access();

  if (s[1] == "sys" && s.size() == 3 && s[2] == "seal") {
    call.route = "/v1/sys/seal";
    if (method != "POST") return wrong_method();
    if (!ctx.principal.is_operator) {
      return call.Error(absl::PermissionDeniedError("only operators may seal the vault"));
    }
    vault_->keys().Seal();
    return call.NoContent();
  }
  if (s[1] == "sys" && s.size() == 4 && s[2] == "audit" && s[3] == "verify") {
    call.route = "/v1/sys/audit/verify";
    if (method != "GET") return wrong_method();
    if (!ctx.principal.is_operator) {
      return call.Error(absl::PermissionDeniedError("only operators may verify the audit log"));
    }
    absl::StatusOr<AuditVerification> v = vault_->audit().Verify();
    if (!v.ok()) return call.Error(v.status());
    v1::AuditVerifyResponse out;
    out.set_ok(v->ok);
    out.set_entries(static_cast<double>(v->entries));
    out.set_head(v->head);
    out.set_problem(v->problem);
    return call.Reply(out);
  }
  if (s[1] == "sys" && s.size() == 3 && s[2] == "rotate-root") {
    call.route = "/v1/sys/rotate-root";
    if (method != "POST") return wrong_method();
    absl::StatusOr<uint32_t> version = access.RotateRoot(ctx);
    if (!version.ok()) return call.Error(version.status());
    v1::RotateRootResponse out;
    out.set_root_key_version(static_cast<int32_t>(*version));
    return call.Reply(out);
  }
  if (s[1] == "sys" && s.size() == 3 && s[2] == "backups") {
    call.route = "/v1/sys/backups";
    if (method != "POST") return wrong_method();
    v1::BackupRequest in;
    if (absl::Status st = call.Parse(&in); !st.ok()) return call.Error(st);
    absl::StatusOr<BackupSummary> summary = access.CreateBackup(ctx, options_.backup_dir, in.name());
    if (!summary.ok()) return call.Error(summary.status());
    v1::BackupResponse out;
    out.set_name(in.name());
    out.set_path(summary->path);
    out.set_created_at(Rfc3339(absl::FromUnixMillis(summary->created_at_unix_ms)));
    out.set_files(static_cast<double>(summary->files));
    out.set_bytes(static_cast<double>(summary->bytes));
    out.set_ledger_entries(static_cast<double>(summary->ledger_entries));
    return call.Reply(out);
  }
  if (s[1] == "sys" && s.size() == 4 && s[2] == "audit" && s[3] == "export") {
    call.route = "/v1/sys/audit/export";
    if (method != "GET") return wrong_method();
    uint64_t after = 0, limit = 10000;
    for (auto [name, target] : {std::pair<const char*, uint64_t*>{"after_seq", &after},
                                std::pair<const char*, uint64_t*>{"limit", &limit}}) {
      auto it = call.query.find(name);
      if (it != call.query.end() && !absl::SimpleAtoi(it->second, target)) {
        return call.Error(absl::InvalidArgumentError(Cat(name, " must be a whole number")));
      }
    }
    if (limit == 0 || limit > 100000) {
      return call.Error(absl::InvalidArgumentError("limit must be 1-100000"));
    }
    absl::StatusOr<AuditExportPage> page = access.ExportAudit(ctx, after, limit);
    if (!page.ok()) return call.Error(page.status());
    // JSON lines: the checkpoints of the page first, then its entries.
    HttpResponse r;
    r.content_type = "application/x-ndjson";
    pb::util::JsonPrintOptions options;
    options.preserve_proto_field_names = true;
    auto add_line = [&](const records::AuditExportLine& line) {
      std::string json;
      if (!pb::util::MessageToJsonString(line, &json, options).ok()) return false;
      r.body += json;
      r.body += '\n';
      return true;
    };
    for (const records::AuditCheckpoint& c : page->checkpoints) {
      records::AuditExportLine line;
      *line.mutable_checkpoint() = c;
      if (!add_line(line)) return call.Error(absl::InternalError("encoding failed"));
    }
    for (const records::AuditEntry& e : page->entries) {
      records::AuditExportLine line;
      *line.mutable_entry() = e;
      if (!add_line(line)) return call.Error(absl::InternalError("encoding failed"));
    }
    if (page->next_after_seq != 0) {
      r.headers.emplace_back("X-Next-After-Seq", std::to_string(page->next_after_seq));
    }
    return r;
  }
  if (s[1] == "sys" && s.size() == 3 && s[2] == "shred-ledger") {
    call.route = "/v1/sys/shred-ledger";
    if (method != "GET") return wrong_method();
    absl::StatusOr<DataAccess::LedgerExport> ledger = access.ShredLedger(ctx);
    if (!ledger.ok()) return call.Error(ledger.status());
    v1::ShredLedgerResponse out;
    for (const records::ErasureRecord& e : ledger->done) *out.add_receipts() = ReceiptView(e.receipt());
    *out.mutable_state() = std::move(ledger->state);
    return call.Reply(out);
  }
  if (s[1] == "jobs" && s.size() == 3) {
    call.route = "/v1/jobs/{job_id}";
    if (method != "GET") return wrong_method();
    absl::StatusOr<records::RewrapJob> job = access.GetJob(ctx, s[2]);
    if (!job.ok()) return call.Error(job.status());
    return call.Reply(JobView(*job));
  }
  if (s[1] != "tenants") return call.Error(absl::NotFoundError("no such route"));

  if (s.size() == 2) {
    call.route = "/v1/tenants";
    if (method != "POST") return wrong_method();
    v1::Tenant in;
    if (absl::Status st = call.Parse(&in); !st.ok()) return call.Error(st);
    if (!in.created_at().empty()) {
      return call.Error(absl::InvalidArgumentError("created_at is set by the vault"));
    }
    if (absl::Status st = access.CreateTenant(ctx, in.id(), in.residency()); !st.ok()) {
      return call.Error(st);
    }
    absl::StatusOr<TenantInfo> info = vault_->keys().GetTenant(in.id());
    if (!info.ok()) return call.Error(info.status());
    v1::Tenant out;
    out.set_id(info->id);
    out.set_residency(info->residency);
    out.set_created_at(Rfc3339(info->created_at));
    return call.Reply(out, 201);
  }
  const std::string& tenant = s[2];
  if (s.size() == 3) {
    call.route = "/v1/tenants/{tenant}";
    if (method == "DELETE") {
      absl::StatusOr<records::ErasureReceipt> r = access.EraseTenant(ctx, tenant);
      if (!r.ok()) return call.Error(r.status());
      v1::Receipt out = ReceiptView(*r);
      if (metrics_ != nullptr) metrics_->Add("shreds");
      return call.Reply(out);
    }
    if (method != "GET") return wrong_method();
    absl::StatusOr<TenantInfo> info = access.GetTenant(ctx, tenant);
    if (!info.ok()) return call.Error(info.status());
    v1::Tenant out;
    out.set_id(info->id);
    out.set_residency(info->residency);
    out.set_created_at(Rfc3339(info->created_at));
    return call.Reply(out);
  }
  const std::string& collection = s[3];

  if (collection == "roles" && s.size() == 4) {
    call.route = "/v1/tenants/{tenant}/roles";
    if (method != "GET") return wrong_method();
    absl::StatusOr<std::vector<records::RoleRecord>> roles = access.ListRoles(ctx, tenant);
    if (!roles.ok()) return call.Error(roles.status());
    v1::RoleList out;
    for (const records::RoleRecord& r : *roles) {
      v1::Role* role = out.add_roles();
      role->set_name(r.name());
      for (const auto& a : r.actions()) role->add_actions(a);
      for (const auto& t : r.types()) role->add_types(t);
      role->set_max_reveal(r.max_reveal());
      for (const auto& p : r.purposes()) role->add_purposes(p);
      role->set_require_purpose(r.require_purpose());
      role->set_allow_deterministic(r.allow_deterministic());
    }
    return call.Reply(out);
  }
  if (collection == "roles" && s.size() == 5) {
    call.route = "/v1/tenants/{tenant}/roles/{role}";
    if (method != "PUT") return wrong_method();
    v1::Role in;
    if (absl::Status st = call.Parse(&in); !st.ok()) return call.Error(st);
    if (!in.name().empty() && in.name() != s[4]) {
      return call.Error(absl::InvalidArgumentError("name differs from the path"));
    }
    records::RoleRecord record;
    record.set_name(s[4]);
    for (const auto& a : in.actions()) record.add_actions(a);
    for (const auto& t : in.types()) record.add_types(t);
    record.set_max_reveal(in.max_reveal());
    for (const auto& p : in.purposes()) record.add_purposes(p);
    record.set_require_purpose(in.require_purpose());
    record.set_allow_deterministic(in.allow_deterministic());
    absl::StatusOr<records::RoleRecord> stored = access.PutRole(ctx, tenant, std::move(record));
    if (!stored.ok()) return call.Error(stored.status());
    in.set_name(stored->name());
    in.set_max_reveal(stored->max_reveal());
    return call.Reply(in);
  }
  if (collection == "principals" && s.size() == 4) {
    call.route = "/v1/tenants/{tenant}/principals";
    if (method != "POST") return wrong_method();
    v1::CreatePrincipalRequest in;
    if (absl::Status st = call.Parse(&in); !st.ok()) return call.Error(st);
    std::vector<std::string> roles(in.roles().begin(), in.roles().end());
    absl::StatusOr<IssuedPrincipal> issued = access.CreatePrincipal(ctx, tenant, in.name(), roles);
    if (!issued.ok()) return call.Error(issued.status());
    v1::PrincipalResponse out;
    out.set_id(issued->id);
    out.set_name(issued->name);
    out.set_api_key(std::move(issued->api_key));
    for (const std::string& r : roles) out.add_roles(r);
    return call.Reply(out, 201);
  }
  if (collection == "principals" && s.size() == 5) {
    call.route = "/v1/tenants/{tenant}/principals/{id}";
    if (method != "DELETE") return wrong_method();
    if (absl::Status st = access.DeletePrincipal(ctx, tenant, s[4]); !st.ok()) {
      return call.Error(st);
    }
    return call.NoContent();
  }
  if (collection == "tokenize" && s.size() == 4) {
    call.route = "/v1/tenants/{tenant}/tokenize";
    if (method != "POST") return wrong_method();
    v1::TokenizeRequest in;
    if (absl::Status st = call.Parse(&in); !st.ok()) return call.Error(st);
    std::vector<TokenizeItem> items;
    for (const auto& i : in.items()) {
      items.push_back({i.type(), i.value(), i.subject(), i.format(), i.ttl_seconds()});
    }
    absl::StatusOr<std::vector<TokenizeResult>> r = access.Tokenize(ctx, tenant, items);
    for (TokenizeItem& i : items) crypto::SecureWipe(i.value);
    if (!r.ok()) return call.Error(r.status());
    v1::TokenizeResponse out;
    for (const TokenizeResult& t : *r) {
      v1::TokenizedItem* item = out.add_items();
      item->set_token(t.token);
      item->set_type(std::string(DataTypeName(t.type)));
    }
    if (metrics_ != nullptr) metrics_->Add("tokens_issued", r->size());
    return call.Reply(out);
  }
  if (collection == "detokenize" && s.size() == 4) {
    call.route = "/v1/tenants/{tenant}/detokenize";
    if (method != "POST") return wrong_method();
    v1::DetokenizeRequest in;
    if (absl::Status st = call.Parse(&in); !st.ok()) return call.Error(st);
    absl::StatusOr<RevealLevel> reveal =
        ParseRevealLevel(in.reveal().empty() ? "masked" : in.reveal());
    if (!reveal.ok()) return call.Error(reveal.status());
    std::vector<std::string> tokens(in.tokens().begin(), in.tokens().end());
    absl::StatusOr<std::vector<DetokenizeResult>> r =
        access.Detokenize(ctx, tenant, tokens, *reveal);
    if (!r.ok()) return call.Error(r.status());
    v1::DetokenizeResponse out;
    uint64_t revealed = 0, denied = 0;
    for (DetokenizeResult& d : *r) {
      v1::DetokenizedItem* item = out.add_items();
      item->set_token(d.token);
      if (d.status.ok()) {
        item->set_type(std::string(DataTypeName(d.type)));
        item->set_value(std::move(d.value));
        item->set_reveal(std::string(RevealLevelName(d.reveal)));
        ++revealed;
      } else {
        item->mutable_error()->set_code(std::string(ItemErrorCode(d.status)));
        if (absl::IsPermissionDenied(d.status)) ++denied;
      }
    }
    if (metrics_ != nullptr) {
      metrics_->Add("detokenizations", revealed);
      if (denied > 0) metrics_->Add("denials", denied);
    }
    HttpResponse reply = call.Reply(out);
    for (auto& item : *out.mutable_items()) crypto::SecureWipe(*item.mutable_value());
    return reply;
  }
  if (collection == "tokens" && s.size() == 5) {
    call.route = "/v1/tenants/{tenant}/tokens/{token}";
    if (method != "DELETE") return wrong_method();
    if (absl::Status st = access.Revoke(ctx, tenant, s[4]); !st.ok()) return call.Error(st);
    return call.NoContent();
  }
  if (collection == "subjects:search" && s.size() == 4) {
    call.route = "/v1/tenants/{tenant}/subjects:search";
    if (method != "POST") return wrong_method();
    v1::SearchRequest in;
    if (absl::Status st = call.Parse(&in); !st.ok()) return call.Error(st);
    absl::StatusOr<std::vector<std::string>> found =
        access.Search(ctx, tenant, in.type(), in.value());
    crypto::SecureWipe(*in.mutable_value());
    if (!found.ok()) return call.Error(found.status());
    v1::SearchResponse out;
    for (const std::string& subject : *found) out.add_subjects(subject);
    return call.Reply(out);
  }
  if (collection == "subjects" && s.size() == 5) {
    const std::string& subject = s[4];
    call.route = "/v1/tenants/{tenant}/subjects/{subject}";
    if (method == "PUT") {
      v1::PutSubjectRequest in;
      if (absl::Status st = call.Parse(&in); !st.ok()) return call.Error(st);
      std::map<std::string, FieldInput> fields;
      for (const auto& [name, f] : in.fields()) fields[name] = {f.type(), f.value(), f.retention()};
      absl::StatusOr<std::map<std::string, std::string>> tokens =
          access.PutSubject(ctx, tenant, subject, fields);
      for (auto& [name, f] : fields) crypto::SecureWipe(f.value);
      if (!tokens.ok()) return call.Error(tokens.status());
      v1::PutSubjectResponse out;
      out.set_subject(subject);
      for (const auto& [name, token] : *tokens) (*out.mutable_tokens())[name] = token;
      return call.Reply(out);
    }
    if (method == "GET") {
      std::vector<std::string> names;
      if (auto it = call.query.find("fields"); it != call.query.end() && !it->second.empty()) {
        names = Split(it->second, ',');
      }
      auto rv = call.query.find("reveal");
      absl::StatusOr<RevealLevel> reveal =
          ParseRevealLevel(rv == call.query.end() || rv->second.empty() ? "masked" : rv->second);
      if (!reveal.ok()) return call.Error(reveal.status());
      absl::StatusOr<SubjectView> view = access.ReadSubject(ctx, tenant, subject, names, *reveal);
      if (!view.ok()) return call.Error(view.status());
      v1::SubjectResponse out;
      out.set_subject(subject);
      for (auto& [name, f] : view->fields) {
        v1::FieldView& v = (*out.mutable_fields())[name];
        v.set_type(std::string(DataTypeName(f.type)));
        v.set_value(std::move(f.value));
        v.set_reveal(std::string(RevealLevelName(f.reveal)));
      }
      for (const std::string& w : view->withheld) out.add_withheld(w);
      HttpResponse reply = call.Reply(out);
      for (auto& [name, f] : *out.mutable_fields()) crypto::SecureWipe(*f.mutable_value());
      return reply;
    }
    return wrong_method();
  }
  if (collection == "subjects" && s.size() == 7 && s[5] == "fields") {
    call.route = "/v1/tenants/{tenant}/subjects/{subject}/fields/{field}";
    if (method != "DELETE") return wrong_method();
    if (absl::Status st = access.DeleteField(ctx, tenant, s[4], s[6]); !st.ok()) {
      return call.Error(st);
    }
    return call.NoContent();
  }
  auto erasure_reply = [&](const records::ErasureRecord& e, int status) {
    v1::ErasureResponse out;
    out.set_erasure_id(e.erasure_id());
    out.set_state(e.state());
    if (e.state() == "pending") out.set_due_at(Rfc3339(absl::FromUnixMillis(e.due_at_unix_ms())));
    if (e.has_receipt()) {
      *out.mutable_receipt() = ReceiptView(e.receipt());
    }
    if (e.state() == "done" && !e.subject().empty()) {
      absl::StatusOr<std::vector<records::RetainedRecord>> retained = access.RetainedOf(ctx, e);
      if (!retained.ok()) return call.Error(retained.status());
      for (const records::RetainedRecord& r : *retained) {
        v1::RetainedView* view = out.add_retained();
        view->set_retention(r.class_name());
        for (const std::string& f : r.fields()) view->add_fields(f);
        view->set_expires_at(Rfc3339(absl::FromUnixMillis(r.expires_at_unix_ms())));
        view->set_state(r.state());
        view->set_expiry_erasure_id(r.expiry_erasure_id());
      }
    }
    return call.Reply(out, status);
  };
  if (collection == "subjects" && s.size() == 6 && s[5] == "erasure") {
    call.route = "/v1/tenants/{tenant}/subjects/{subject}/erasure";
    if (method == "POST") {
      v1::ErasureRequest in;
      if (absl::Status st = call.Parse(&in); !st.ok()) return call.Error(st);
      const int64_t grace = in.has_grace_seconds() ? in.grace_seconds() : 259200;
      if (grace < 0) return call.Error(absl::InvalidArgumentError("grace_seconds must be >= 0"));
      absl::StatusOr<records::ErasureRecord> e =
          access.RequestErasure(ctx, tenant, s[4], absl::Seconds(grace));
      if (!e.ok()) return call.Error(e.status());
      if (metrics_ != nullptr && e->state() == "done") metrics_->Add("shreds");
      return erasure_reply(*e, e->state() == "done" ? 200 : 202);
    }
    if (method == "DELETE") {
      absl::StatusOr<records::ErasureRecord> e = access.CancelErasure(ctx, tenant, s[4]);
      if (!e.ok()) return call.Error(e.status());
      return call.NoContent();
    }
    return wrong_method();
  }
  if (collection == "subjects" && s.size() == 7 && s[5] == "holds") {
    call.route = "/v1/tenants/{tenant}/subjects/{subject}/holds/{hold_id}";
    if (method == "PUT") {
      v1::HoldRequest in;
      if (absl::Status st = call.Parse(&in); !st.ok()) return call.Error(st);
      absl::StatusOr<records::HoldRecord> hold =
          access.PutHold(ctx, tenant, s[4], s[6], in.reason());
      if (!hold.ok()) return call.Error(hold.status());
      v1::HoldResponse out;
      out.set_hold_id(hold->hold_id());
      out.set_reason(hold->reason());
      out.set_created_at(Rfc3339(absl::FromUnixMillis(hold->created_at_unix_ms())));
      return call.Reply(out);
    }
    if (method == "DELETE") {
      if (absl::Status st = access.ReleaseHold(ctx, tenant, s[4], s[6]); !st.ok()) {
        return call.Error(st);
      }
      return call.NoContent();
    }
    return wrong_method();
  }
  if (collection == "subjects" && s.size() == 6 && s[5] == "export") {
    call.route = "/v1/tenants/{tenant}/subjects/{subject}/export";
    if (method != "GET") return wrong_method();
    absl::StatusOr<SubjectExport> ex = access.Export(ctx, tenant, s[4]);
    if (!ex.ok()) return call.Error(ex.status());
    v1::ExportResponse out;
    out.set_subject(s[4]);
    for (auto& [name, f] : ex->fields) {
      v1::FieldView& v = (*out.mutable_fields())[name];
      v.set_type(std::string(DataTypeName(f.type)));
      v.set_value(std::move(f.value));
      v.set_reveal("plain");
    }
    for (const records::HoldRecord& h : ex->holds) {
      v1::HoldResponse* hold = out.add_holds();
      hold->set_hold_id(h.hold_id());
      hold->set_reason(h.reason());
      hold->set_created_at(Rfc3339(absl::FromUnixMillis(h.created_at_unix_ms())));
    }
    if (ex->pending_erasure.has_value()) {
      out.mutable_erasure()->set_erasure_id(ex->pending_erasure->erasure_id());
      out.mutable_erasure()->set_state(ex->pending_erasure->state());
      out.mutable_erasure()->set_due_at(
          Rfc3339(absl::FromUnixMillis(ex->pending_erasure->due_at_unix_ms())));
    }
    for (const records::AuditEntry& e : ex->access_report) {
      *out.add_access_report() = AuditEntryViewOf(e);
    }
    HttpResponse reply = call.Reply(out);
    for (auto& [name, f] : *out.mutable_fields()) crypto::SecureWipe(*f.mutable_value());
    return reply;
  }
  if (collection == "erasures" && s.size() == 5) {
    call.route = "/v1/tenants/{tenant}/erasures/{erasure_id}";
    if (method != "GET") return wrong_method();
    absl::StatusOr<records::ErasureRecord> e = access.GetErasure(ctx, tenant, s[4]);
    if (!e.ok()) return call.Error(e.status());
    return erasure_reply(*e, 200);
  }
  if (collection == "audit" && s.size() == 4) {
    call.route = "/v1/tenants/{tenant}/audit";
    if (method != "GET") return wrong_method();
    AuditQuery q;
    q.tenant = tenant;
    auto get = [&](const char* key) {
      auto it = call.query.find(key);
      return it == call.query.end() ? std::string() : it->second;
    };
    q.subject = get("subject");
    q.principal = get("principal");
    q.action = get("action");
    for (const char* key : {"since", "until"}) {
      const std::string value = get(key);
      if (value.empty()) continue;
      absl::Time t;
      std::string err;
      if (!absl::ParseTime(absl::RFC3339_full, value, &t, &err)) {
        return call.Error(absl::InvalidArgumentError(Cat(key, ": not an RFC 3339 time")));
      }
      (std::string_view(key) == "since" ? q.since : q.until) = t;
    }
    for (const char* key : {"limit", "page_token"}) {
      const std::string value = get(key);
      if (value.empty()) continue;
      uint64_t n = 0;
      for (char c : value) {
        if (c < '0' || c > '9' || n > (1ULL << 50)) {
          return call.Error(absl::InvalidArgumentError(Cat(key, ": not a number")));
        }
        n = n * 10 + static_cast<uint64_t>(c - '0');
      }
      if (std::string_view(key) == "limit") {
        if (n != 0) q.limit = n;  // 0 = the default
      } else {
        q.after_seq = n;
      }
    }
    absl::StatusOr<AuditPage> page = access.QueryAudit(ctx, q);
    if (!page.ok()) return call.Error(page.status());
    v1::AuditQueryResponse out;
    for (const records::AuditEntry& e : page->entries) *out.add_entries() = AuditEntryViewOf(e);
    if (page->next_after_seq != 0) out.set_next_page_token(std::to_string(page->next_after_seq));
    return call.Reply(out);
  }
  if (collection == "retention-classes" && (s.size() == 4 || s.size() == 5)) {
    if (s.size() == 4) {
      call.route = "/v1/tenants/{tenant}/retention-classes";
      if (method != "GET") return wrong_method();
      absl::StatusOr<std::vector<records::RetentionClassRecord>> classes =
          access.ListRetentionClasses(ctx, tenant);
      if (!classes.ok()) return call.Error(classes.status());
      v1::RetentionClassList out;
      for (const records::RetentionClassRecord& r : *classes) {
        v1::RetentionClass* c = out.add_classes();
        c->set_name(r.name());
        c->set_duration_days(static_cast<int32_t>(r.duration_days()));
      }
      return call.Reply(out);
    }
    call.route = "/v1/tenants/{tenant}/retention-classes/{class}";
    if (method != "PUT") return wrong_method();
    v1::RetentionClass in;
    if (absl::Status st = call.Parse(&in); !st.ok()) return call.Error(st);
    if (!in.name().empty() && in.name() != s[4]) {
      return call.Error(absl::InvalidArgumentError("name in the body differs from the path"));
    }
    absl::StatusOr<records::RetentionClassRecord> saved =
        access.PutRetentionClass(ctx, tenant, s[4], in.duration_days());
    if (!saved.ok()) return call.Error(saved.status());
    v1::RetentionClass out;
    out.set_name(saved->name());
    out.set_duration_days(static_cast<int32_t>(saved->duration_days()));
    return call.Reply(out);
  }
  if (collection == "keys" && s.size() == 4) {
    call.route = "/v1/tenants/{tenant}/keys";
    if (method != "GET") return wrong_method();
    absl::StatusOr<std::vector<KekInfo>> keys = access.ListKeys(ctx, tenant);
    if (!keys.ok()) return call.Error(keys.status());
    return call.Reply(KeyListOf(*keys));
  }
  if (collection == "keys" && s.size() == 5 && s[4] == "rotate") {
    call.route = "/v1/tenants/{tenant}/keys/rotate";
    if (method != "POST") return wrong_method();
    absl::StatusOr<uint32_t> version = access.RotateKey(ctx, tenant);
    if (!version.ok()) return call.Error(version.status());
    absl::StatusOr<std::vector<KekInfo>> keys = vault_->keys().ListKeks(tenant);
    if (!keys.ok()) return call.Error(keys.status());
    return call.Reply(KeyListOf(*keys));
  }
  if (collection == "keys" && s.size() == 5 && s[4] == "rewrap") {
    call.route = "/v1/tenants/{tenant}/keys/rewrap";
    if (method != "POST") return wrong_method();
    absl::StatusOr<records::RewrapJob> job = access.StartRewrap(ctx, tenant);
    if (!job.ok()) return call.Error(job.status());
    return call.Reply(JobView(*job), 202);
  }
  return call.Error(absl::NotFoundError("no such route"));
}

}  // namespace vault::api
