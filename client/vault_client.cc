// VaultClient implementation: every route vaultctl uses, in one file.
#include "client/vault_client.h"

#include <openssl/crypto.h>

#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/routes.h"

namespace vault::client {
namespace {

void Wipe(std::string& s) {
  if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
  s.clear();
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
  if (!absl::SimpleAtoi(std::string(rest.substr(colon + 1)), &p) || p <= 0 || p > 65535 ||
      h.empty()) {
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

absl::StatusOr<HttpResult> VaultClient::Send(const char* method, const std::string& path,
                                             const std::string& body) {
  std::map<std::string, std::string> headers;
  if (!options_.api_key.empty()) headers["Authorization"] = "Bearer " + options_.api_key;
  HttpResult r = http_->Request(method, path, body, headers);
  if (r.status == 0) {
    return absl::UnavailableError(
        absl::StrCat("server unreachable at ", options_.addr, ": ", r.error));
  }
  return r;
}

absl::Status VaultClient::Call(const char* method, const std::string& path, const std::string& body,
                               google::protobuf::Message* out) {
  absl::StatusOr<HttpResult> r = Send(method, path, body);
  if (!r.ok()) return r.status();
  if (r->status < 200 || r->status >= 300) {
    auto id = r->headers.find("x-request-id");
    return ErrorStatus(r->status, r->body, id == r->headers.end() ? "" : id->second);
  }
  if (out == nullptr || r->body.empty()) return absl::OkStatus();
  if (!ParseAnswerJson(r->body, out).ok()) {
    return absl::InternalError("the server's answer is not the expected JSON");
  }
  return absl::OkStatus();
}

// --- /v1/sys and /v1/jobs -------------------------------------------------

absl::StatusOr<v1::HealthResponse> VaultClient::Status() {
  absl::StatusOr<HttpResult> r = Send("GET", Path({"v1", "sys", "health"}), "");
  if (!r.ok()) return r.status();
  v1::HealthResponse health;
  if ((r->status != 200 && r->status != 503) || !ParseJson(r->body, &health).ok()) {
    return absl::InternalError(absl::StrCat("unexpected health answer (HTTP ", r->status, ")"));
  }
  return health;
}

absl::StatusOr<v1::InitResponse> VaultClient::Init(int shares, int threshold) {
  v1::InitRequest in;
  in.set_shares(shares);
  in.set_threshold(threshold);
  return Typed<v1::InitResponse>("POST", Path({"v1", "sys", "init"}), &in);
}

absl::StatusOr<v1::UnsealResponse> VaultClient::Unseal(std::string_view share) {
  v1::UnsealRequest in;
  in.set_share(std::string(share));
  std::string body = ToJson(in);
  Wipe(*in.mutable_share());
  v1::UnsealResponse out;
  absl::Status s = Call("POST", Path({"v1", "sys", "unseal"}), body, &out);
  Wipe(body);
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<v1::Empty> VaultClient::Seal() {
  return Typed<v1::Empty>("POST", Path({"v1", "sys", "seal"}));
}
absl::StatusOr<v1::RotateRootResponse> VaultClient::RotateRoot() {
  return Typed<v1::RotateRootResponse>("POST", Path({"v1", "sys", "rotate-root"}));
}
absl::StatusOr<v1::ReceiptKeyResponse> VaultClient::ReceiptKey() {
  return Typed<v1::ReceiptKeyResponse>("GET", Path({"v1", "sys", "receipt-key"}));
}
absl::StatusOr<v1::AuditVerifyResponse> VaultClient::VerifyAudit() {
  return Typed<v1::AuditVerifyResponse>("GET", Path({"v1", "sys", "audit", "verify"}));
}

absl::StatusOr<AuditPage> VaultClient::ExportAudit(uint64_t after_seq, uint64_t limit) {
  const std::string path = absl::StrCat(Path({"v1", "sys", "audit", "export"}), "?limit=", limit,
                                        "&after_seq=", after_seq);
  absl::StatusOr<HttpResult> r = Send("GET", path, "");
  if (!r.ok()) return r.status();
  if (r->status < 200 || r->status >= 300) {
    auto id = r->headers.find("x-request-id");
    return ErrorStatus(r->status, r->body, id == r->headers.end() ? "" : id->second);
  }
  AuditPage page;
  page.lines = std::move(r->body);
  auto next = r->headers.find("x-next-after-seq");
  if (next != r->headers.end() &&
      (!absl::SimpleAtoi(next->second, &page.next_after_seq) || page.next_after_seq <= after_seq)) {
    return absl::InternalError("bad paging header from the server");
  }
  return page;
}

absl::StatusOr<v1::BackupResponse> VaultClient::CreateBackup(std::string_view name,
                                                             uint64_t expires_in_seconds) {
  v1::BackupRequest in;
  in.set_name(std::string(name));
  in.set_expires_in_seconds(expires_in_seconds);
  return Typed<v1::BackupResponse>("POST", Path({"v1", "sys", "backups"}), &in);
}
absl::StatusOr<v1::ShredLedgerResponse> VaultClient::ShredLedger() {
  return Typed<v1::ShredLedgerResponse>("GET", Path({"v1", "sys", "shred-ledger"}));
}
absl::StatusOr<v1::JobResponse> VaultClient::GetJob(std::string_view job_id) {
  return Typed<v1::JobResponse>("GET", Path({"v1", "jobs", job_id}));
}

absl::StatusOr<v1::RekeyResponse> VaultClient::Rekey(int shares, int threshold,
                                                     std::string_view share) {
  v1::RekeyRequest in;
  in.set_shares(shares);
  in.set_threshold(threshold);
  in.set_share(std::string(share));
  std::string body = ToJson(in);
  Wipe(*in.mutable_share());
  v1::RekeyResponse out;
  absl::Status s = Call("POST", Path({"v1", "sys", "rekey"}), body, &out);
  Wipe(body);
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<v1::Empty> VaultClient::CancelRekey() {
  return Typed<v1::Empty>("DELETE", Path({"v1", "sys", "rekey"}));
}

absl::StatusOr<v1::RotateRootApiKeyResponse> VaultClient::RotateRootApiKey() {
  return Typed<v1::RotateRootApiKeyResponse>("POST", Path({"v1", "sys", "root-api-key", "rotate"}));
}

// --- /v1/tenants -----------------------------------------------------------

absl::StatusOr<v1::Tenant> VaultClient::CreateTenant(std::string_view tenant,
                                                     std::string_view residency) {
  v1::Tenant in;
  in.set_id(std::string(tenant));
  in.set_residency(std::string(residency));
  return Typed<v1::Tenant>("POST", Path({"v1", "tenants"}), &in);
}
absl::StatusOr<v1::Tenant> VaultClient::GetTenant(std::string_view tenant) {
  return Typed<v1::Tenant>("GET", Path({"v1", "tenants", tenant}));
}
absl::StatusOr<v1::Receipt> VaultClient::EraseTenant(std::string_view tenant) {
  return Typed<v1::Receipt>("DELETE", Path({"v1", "tenants", tenant}));
}
absl::StatusOr<v1::RoleList> VaultClient::ListRoles(std::string_view tenant) {
  return Typed<v1::RoleList>("GET", Path({"v1", "tenants", tenant, "roles"}));
}
absl::StatusOr<v1::Role> VaultClient::PutRole(std::string_view tenant, std::string_view name,
                                              const v1::Role& role) {
  return Typed<v1::Role>("PUT", Path({"v1", "tenants", tenant, "roles", name}), &role);
}
absl::StatusOr<v1::PrincipalResponse> VaultClient::CreatePrincipal(
    std::string_view tenant, const v1::CreatePrincipalRequest& request) {
  return Typed<v1::PrincipalResponse>("POST", Path({"v1", "tenants", tenant, "principals"}),
                                      &request);
}
absl::StatusOr<v1::Empty> VaultClient::DeletePrincipal(std::string_view tenant,
                                                       std::string_view principal_id) {
  return Typed<v1::Empty>("DELETE", Path({"v1", "tenants", tenant, "principals", principal_id}));
}
absl::StatusOr<v1::PrincipalList> VaultClient::ListPrincipals(std::string_view tenant) {
  return Typed<v1::PrincipalList>("GET", Path({"v1", "tenants", tenant, "principals"}));
}
absl::StatusOr<v1::KeyList> VaultClient::ListKeys(std::string_view tenant) {
  return Typed<v1::KeyList>("GET", Path({"v1", "tenants", tenant, "keys"}));
}
absl::StatusOr<v1::KeyList> VaultClient::RotateKey(std::string_view tenant) {
  return Typed<v1::KeyList>("POST", Path({"v1", "tenants", tenant, "keys", "rotate"}));
}
absl::StatusOr<v1::JobResponse> VaultClient::StartRewrap(std::string_view tenant) {
  return Typed<v1::JobResponse>("POST", Path({"v1", "tenants", tenant, "keys", "rewrap"}));
}

absl::StatusOr<v1::ErasureResponse> VaultClient::RequestErasure(
    std::string_view tenant, std::string_view subject, std::optional<int64_t> grace_seconds) {
  v1::ErasureRequest in;
  if (grace_seconds.has_value()) in.set_grace_seconds(*grace_seconds);
  return Typed<v1::ErasureResponse>(
      "POST", Path({"v1", "tenants", tenant, "subjects", subject, "erasure"}), &in);
}
absl::StatusOr<v1::Empty> VaultClient::CancelErasure(std::string_view tenant,
                                                     std::string_view subject) {
  return Typed<v1::Empty>("DELETE",
                          Path({"v1", "tenants", tenant, "subjects", subject, "erasure"}));
}
absl::StatusOr<v1::AccessReportResponse> VaultClient::GetAccessReport(std::string_view tenant,
                                                                      std::string_view subject,
                                                                      std::string_view since,
                                                                      std::string_view until) {
  std::string path = Path({"v1", "tenants", tenant, "subjects", subject, "access-report"});
  std::vector<std::string> params;
  if (!since.empty()) params.push_back(absl::StrCat("since=", EncodePathSegment(since)));
  if (!until.empty()) params.push_back(absl::StrCat("until=", EncodePathSegment(until)));
  if (!params.empty()) path += "?" + absl::StrJoin(params, "&");
  return Typed<v1::AccessReportResponse>("GET", path);
}
absl::StatusOr<v1::ErasureResponse> VaultClient::GetErasure(std::string_view tenant,
                                                            std::string_view erasure_id) {
  return Typed<v1::ErasureResponse>("GET", Path({"v1", "tenants", tenant, "erasures", erasure_id}));
}
absl::StatusOr<v1::HoldResponse> VaultClient::PutHold(std::string_view tenant,
                                                      std::string_view subject,
                                                      std::string_view hold_id,
                                                      std::string_view reason) {
  v1::HoldRequest in;
  in.set_reason(std::string(reason));
  return Typed<v1::HoldResponse>(
      "PUT", Path({"v1", "tenants", tenant, "subjects", subject, "holds", hold_id}), &in);
}
absl::StatusOr<v1::Empty> VaultClient::ReleaseHold(std::string_view tenant,
                                                   std::string_view subject,
                                                   std::string_view hold_id) {
  return Typed<v1::Empty>("DELETE",
                          Path({"v1", "tenants", tenant, "subjects", subject, "holds", hold_id}));
}

// Processors (#17 item 4).
absl::StatusOr<v1::Processor> VaultClient::PutProcessor(std::string_view tenant,
                                                        std::string_view name,
                                                        const v1::PutProcessorRequest& request) {
  return Typed<v1::Processor>("PUT", Path({"v1", "tenants", tenant, "processors", name}), &request);
}
absl::StatusOr<v1::Processor> VaultClient::GetProcessor(std::string_view tenant,
                                                        std::string_view name) {
  return Typed<v1::Processor>("GET", Path({"v1", "tenants", tenant, "processors", name}));
}
absl::StatusOr<v1::ProcessorList> VaultClient::ListProcessors(std::string_view tenant) {
  return Typed<v1::ProcessorList>("GET", Path({"v1", "tenants", tenant, "processors"}));
}
absl::StatusOr<v1::Empty> VaultClient::DeleteProcessor(std::string_view tenant,
                                                       std::string_view name) {
  return Typed<v1::Empty>("DELETE", Path({"v1", "tenants", tenant, "processors", name}));
}

}  // namespace vault::client
