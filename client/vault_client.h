// VaultClient: a typed client of vaultd's HTTP API, one method per route,
// answers as the api.proto messages. An error answer is a status built by
// client/error.h: the server's code survives (WireCode(status) == "GONE").
// Thread-safety: one client per thread. Never logs; the unseal share is
// wiped from the client's buffers after the call.
#ifndef VAULT_CLIENT_VAULT_CLIENT_H_
#define VAULT_CLIENT_VAULT_CLIENT_H_

#include <google/protobuf/message.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "api/api.pb.h"
#include "client/error.h"
#include "client/http_client.h"
#include "client/json.h"

namespace vault::client {

namespace v1 = api::v1;

struct ClientOptions {
  std::string addr = "http://127.0.0.1:8200";  // http://HOST:PORT or https://HOST:PORT
  std::string api_key;                         // sent as a bearer key when not empty
  std::string ca_file;                         // https: trust this CA (default: the system's)
  std::string client_cert;                     // https: present this certificate (mTLS)
  std::string client_key;
  std::chrono::milliseconds timeout{30000};
};

// Splits "http://host:port" / "https://[::1]:port"; INVALID_ARGUMENT otherwise.
[[nodiscard]] absl::Status ParseAddress(std::string_view addr, bool* tls, std::string* host,
                                        int* port);

// One page of GET /v1/sys/audit/export.
struct AuditPage {
  std::string lines;            // JSON lines as the server sent them
  uint64_t next_after_seq = 0;  // 0: this was the last page
};

// Every call: UNAVAILABLE "server unreachable at ..." without an answer;
// the decoded error (error.h) on a non-2xx answer; INTERNAL when a 2xx
// answer is not the expected JSON.
class VaultClient {
 public:
  // INVALID_ARGUMENT for a malformed address. Does not connect yet.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<VaultClient>> Create(ClientOptions options);

  // /v1/sys: health answers 503 while sealed or uninitialised, which is
  // still an answer here.
  [[nodiscard]] absl::StatusOr<v1::HealthResponse> Status();
  [[nodiscard]] absl::StatusOr<v1::InitResponse> Init(int shares, int threshold);
  [[nodiscard]] absl::StatusOr<v1::UnsealResponse> Unseal(std::string_view share);
  [[nodiscard]] absl::StatusOr<v1::Empty> Seal();
  [[nodiscard]] absl::StatusOr<v1::RotateRootResponse> RotateRoot();
  [[nodiscard]] absl::StatusOr<v1::ReceiptKeyResponse> ReceiptKey();
  [[nodiscard]] absl::StatusOr<v1::AuditVerifyResponse> VerifyAudit();
  [[nodiscard]] absl::StatusOr<AuditPage> ExportAudit(uint64_t after_seq, uint64_t limit);
  // expires_in_seconds: 0 = the server's default (PKCS#11 root) or never.
  [[nodiscard]] absl::StatusOr<v1::BackupResponse> CreateBackup(std::string_view name,
                                                                uint64_t expires_in_seconds = 0);
  [[nodiscard]] absl::StatusOr<v1::ShredLedgerResponse> ShredLedger();
  [[nodiscard]] absl::StatusOr<v1::JobResponse> GetJob(std::string_view job_id);
  // Rekey (one current share per call; the share is wiped from the
  // client's buffers) and its cancel; root API key rotation (the client's
  // key stops working: make a new client with the answer).
  [[nodiscard]] absl::StatusOr<v1::RekeyResponse> Rekey(int shares, int threshold,
                                                        std::string_view share);
  [[nodiscard]] absl::StatusOr<v1::Empty> CancelRekey();
  [[nodiscard]] absl::StatusOr<v1::RotateRootApiKeyResponse> RotateRootApiKey();

  // Tenants, roles, principals, keys.
  [[nodiscard]] absl::StatusOr<v1::Tenant> CreateTenant(std::string_view tenant,
                                                        std::string_view residency);
  [[nodiscard]] absl::StatusOr<v1::Tenant> GetTenant(std::string_view tenant);
  [[nodiscard]] absl::StatusOr<v1::Receipt> EraseTenant(std::string_view tenant);
  [[nodiscard]] absl::StatusOr<v1::RoleList> ListRoles(std::string_view tenant);
  // An empty role.max_reveal is not sent: the server's default applies.
  [[nodiscard]] absl::StatusOr<v1::Role> PutRole(std::string_view tenant, std::string_view name,
                                                 const v1::Role& role);
  [[nodiscard]] absl::StatusOr<v1::PrincipalResponse> CreatePrincipal(
      std::string_view tenant, const v1::CreatePrincipalRequest& request);
  [[nodiscard]] absl::StatusOr<v1::Empty> DeletePrincipal(std::string_view tenant,
                                                          std::string_view principal_id);
  // Id, name, roles and creation time of each; never keys.
  [[nodiscard]] absl::StatusOr<v1::PrincipalList> ListPrincipals(std::string_view tenant);
  [[nodiscard]] absl::StatusOr<v1::KeyList> ListKeys(std::string_view tenant);
  [[nodiscard]] absl::StatusOr<v1::KeyList> RotateKey(std::string_view tenant);
  [[nodiscard]] absl::StatusOr<v1::JobResponse> StartRewrap(std::string_view tenant);

  // Erasure and legal holds. grace_seconds omitted: the server's default.
  [[nodiscard]] absl::StatusOr<v1::ErasureResponse> RequestErasure(
      std::string_view tenant, std::string_view subject, std::optional<int64_t> grace_seconds);
  [[nodiscard]] absl::StatusOr<v1::Empty> CancelErasure(std::string_view tenant,
                                                        std::string_view subject);
  // A subject's signed access report (#17); since/until: RFC 3339 or "".
  [[nodiscard]] absl::StatusOr<v1::AccessReportResponse> GetAccessReport(std::string_view tenant,
                                                                         std::string_view subject,
                                                                         std::string_view since,
                                                                         std::string_view until);
  [[nodiscard]] absl::StatusOr<v1::ErasureResponse> GetErasure(std::string_view tenant,
                                                               std::string_view erasure_id);
  [[nodiscard]] absl::StatusOr<v1::HoldResponse> PutHold(std::string_view tenant,
                                                         std::string_view subject,
                                                         std::string_view hold_id,
                                                         std::string_view reason);
  [[nodiscard]] absl::StatusOr<v1::Empty> ReleaseHold(std::string_view tenant,
                                                      std::string_view subject,
                                                      std::string_view hold_id);

  // Processors told of a tenant's erasures (#17 item 4).
  [[nodiscard]] absl::StatusOr<v1::Processor> PutProcessor(std::string_view tenant,
                                                           std::string_view name,
                                                           const v1::PutProcessorRequest& request);
  [[nodiscard]] absl::StatusOr<v1::Processor> GetProcessor(std::string_view tenant,
                                                           std::string_view name);
  [[nodiscard]] absl::StatusOr<v1::ProcessorList> ListProcessors(std::string_view tenant);
  [[nodiscard]] absl::StatusOr<v1::Empty> DeleteProcessor(std::string_view tenant,
                                                          std::string_view name);

 private:
  VaultClient(ClientOptions options, std::unique_ptr<HttpClient> http)
      : options_(std::move(options)), http_(std::move(http)) {}

  // The answer as it came, any status; UNAVAILABLE when unreachable.
  absl::StatusOr<HttpResult> Send(const char* method, const std::string& path,
                                  const std::string& body);
  // Sends `body`; a 2xx answer parsed into `out` (an empty body leaves it
  // as it is), anything else the decoded error.
  absl::Status Call(const char* method, const std::string& path, const std::string& body,
                    google::protobuf::Message* out);
  template <typename Out>
  absl::StatusOr<Out> Typed(const char* method, const std::string& path,
                            const google::protobuf::Message* in = nullptr) {
    Out out;
    if (absl::Status s = Call(method, path, in == nullptr ? "" : ToJson(*in), &out); !s.ok()) {
      return s;
    }
    return out;
  }

  ClientOptions options_;
  std::unique_ptr<HttpClient> http_;
};

}  // namespace vault::client

#endif  // VAULT_CLIENT_VAULT_CLIENT_H_
