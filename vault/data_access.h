// DataAccess: the guarded entry point for every data and admin operation.
// Each call authorizes through Authorize() (access_policy.h) and is logged:
// writes carry their audit entries in the same atomic batch; reads write
// theirs durably before any data is returned, and return no data (UNAVAILABLE)
// when that fails; refusals are logged as denied entries. The HTTP layer and
// vaultctl call only this, never the services beneath it.
// Thread-safety: safe for concurrent use.
// Never puts a value, token or API key into an audit entry or error message.
#ifndef VAULT_DATA_ACCESS_H_
#define VAULT_DATA_ACCESS_H_

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "base/clock.h"
#include "vault/access/access_policy.h"
#include "vault/access/principal_store.h"
#include "vault/audit/access_report.h"
#include "vault/audit/audit_log.h"
#include "vault/backup/backup.h"
#include "vault/lifecycle/lifecycle.h"
#include "vault/lifecycle/rewrap_jobs.h"
#include "vault/notices/processor_notices.h"
#include "vault/subjects/consent_store.h"
#include "vault/subjects/subject_store.h"
#include "vault/tokens/token_service.h"

namespace vault {

struct RequestContext {
  Principal principal;
  std::string request_id;
  std::string purpose;  // X-Purpose; empty when none was stated
};

struct SubjectView {
  std::map<std::string, RevealedField> fields;
  std::vector<std::string> withheld;  // fields the principal may not see
};

struct SubjectExport {
  std::map<std::string, RevealedField> fields;  // plain
  std::vector<records::HoldRecord> holds;
  std::optional<records::ErasureRecord> pending_erasure;
  std::vector<records::AuditEntry> access_report;
  // #17: the subject's consent and its changes, oldest first (item 1), and
  // the tenant's residency (item 5).
  Consent consent;
  std::vector<Consent> consent_history;
  std::string residency;
};

struct DataAccessOptions {
  KeyHierarchy* keys = nullptr;
  TokenService* tokens = nullptr;
  SubjectStore* subjects = nullptr;
  PrincipalStore* principals = nullptr;
  AuditLog* audit = nullptr;
  GroupCommitter* committer = nullptr;
  SubjectLifecycle* lifecycle = nullptr;
  RewrapJobs* jobs = nullptr;
  storage::KvStore* kv = nullptr;
  const Clock* clock = nullptr;            // required
  ConsentStore* consent = nullptr;         // required (#17 item 1)
  ProcessorNotices* processors = nullptr;  // erasure notices to processors
};

class DataAccess {
 public:
  explicit DataAccess(DataAccessOptions options) : options_(options) {}

  [[nodiscard]] absl::StatusOr<std::vector<TokenizeResult>> Tokenize(
      const RequestContext& ctx, std::string_view tenant, const std::vector<TokenizeItem>& items);
  // 403 for the whole call when no role allows detokenize at `reveal` with
  // this purpose; per-item PERMISSION_DENIED for types no role covers.
  [[nodiscard]] absl::StatusOr<std::vector<DetokenizeResult>> Detokenize(
      const RequestContext& ctx, std::string_view tenant, const std::vector<std::string>& tokens,
      RevealLevel reveal);
  [[nodiscard]] absl::Status Revoke(const RequestContext& ctx, std::string_view tenant,
                                    std::string_view token);

  [[nodiscard]] absl::StatusOr<std::map<std::string, std::string>> PutSubject(
      const RequestContext& ctx, std::string_view tenant, std::string_view subject,
      const std::map<std::string, FieldInput>& fields);
  [[nodiscard]] absl::StatusOr<SubjectView> ReadSubject(const RequestContext& ctx,
                                                        std::string_view tenant,
                                                        std::string_view subject,
                                                        const std::vector<std::string>& names,
                                                        RevealLevel reveal);
  [[nodiscard]] absl::Status DeleteField(const RequestContext& ctx, std::string_view tenant,
                                         std::string_view subject, std::string_view field);
  [[nodiscard]] absl::StatusOr<std::vector<std::string>> Search(const RequestContext& ctx,
                                                                std::string_view tenant,
                                                                std::string_view type,
                                                                std::string_view value);

  [[nodiscard]] absl::StatusOr<AuditPage> QueryAudit(const RequestContext& ctx,
                                                     const AuditQuery& query);
  // --- Access reports (#17, data_access_reports.cc).
  // Every audited access to `subject` in [since, until), signed with the
  // receipt key (action export, purpose subject_request, stated or implied;
  // another stated purpose is refused). Logged before it is read, so the
  // report lists itself. GONE for an erased subject.
  [[nodiscard]] absl::StatusOr<AccessReport> ReportAccess(const RequestContext& ctx,
                                                          std::string_view tenant,
                                                          std::string_view subject,
                                                          std::optional<absl::Time> since,
                                                          std::optional<absl::Time> until);

  // Lifecycle: holds (action hold), erasure (action erase), epochs (keys).
  [[nodiscard]] absl::StatusOr<records::HoldRecord> PutHold(const RequestContext& ctx,
                                                            std::string_view tenant,
                                                            std::string_view subject,
                                                            std::string_view hold_id,
                                                            std::string_view reason);
  [[nodiscard]] absl::Status ReleaseHold(const RequestContext& ctx, std::string_view tenant,
                                         std::string_view subject, std::string_view hold_id);
  [[nodiscard]] absl::StatusOr<records::ErasureRecord> RequestErasure(const RequestContext& ctx,
                                                                      std::string_view tenant,
                                                                      std::string_view subject,
                                                                      absl::Duration grace);
  [[nodiscard]] absl::StatusOr<records::ErasureRecord> CancelErasure(const RequestContext& ctx,
                                                                     std::string_view tenant,
                                                                     std::string_view subject);
  [[nodiscard]] absl::StatusOr<records::ErasureRecord> GetErasure(const RequestContext& ctx,
                                                                  std::string_view tenant,
                                                                  std::string_view erasure_id);
  [[nodiscard]] absl::StatusOr<uint64_t> CloseEpoch(const RequestContext& ctx,
                                                    std::string_view tenant);
  // Operators only (action admin): crypto-shreds the whole tenant.
  [[nodiscard]] absl::StatusOr<records::ErasureReceipt> EraseTenant(const RequestContext& ctx,
                                                                    std::string_view tenant);
  // A data subject's access request (action export, reveal plain; purpose
  // subject_request unless another is stated): every field in plain text,
  // the holds, a pending erasure and the access report. Logged before it is
  // returned.
  [[nodiscard]] absl::StatusOr<SubjectExport> Export(const RequestContext& ctx,
                                                     std::string_view tenant,
                                                     std::string_view subject);

  // Starts a shred epoch as a persisted, resumable job (action keys).
  [[nodiscard]] absl::StatusOr<records::RewrapJob> StartRewrap(const RequestContext& ctx,
                                                               std::string_view tenant);
  // Operators and principals of the job's tenant; NOT_FOUND for others.
  [[nodiscard]] absl::StatusOr<records::RewrapJob> GetJob(const RequestContext& ctx,
                                                          std::string_view job_id);
  // Operators only (action admin), logged before they run: root-key
  // rotation, an online backup into `dir`, the shred ledger (every done
  // erasure's record, for restores).
  [[nodiscard]] absl::StatusOr<uint32_t> RotateRoot(const RequestContext& ctx);
  // A backup into backup_root/name (INVALID_ARGUMENT for a bad name,
  // FAILED_PRECONDITION when no backup folder is configured).
  [[nodiscard]] absl::StatusOr<BackupSummary> CreateBackup(
      const RequestContext& ctx, const std::string& backup_root, std::string_view name,
      absl::Duration expires_in = absl::ZeroDuration());
  struct LedgerExport {
    std::vector<records::ErasureRecord> done;  // with their signed receipts
    records::LiveState state;                  // signed
  };
  [[nodiscard]] absl::StatusOr<LedgerExport> ShredLedger(const RequestContext& ctx);
  // The raw audit chain, paged (operators only; the export is logged).
  [[nodiscard]] absl::StatusOr<AuditExportPage> ExportAudit(const RequestContext& ctx,
                                                            uint64_t after_seq, size_t limit);

  // Operators only. Seal is logged when the chain can be written and
  // happens even when it cannot; VerifyAudit reports a broken chain (its
  // entry is best effort for the same reason).
  [[nodiscard]] absl::Status Seal(const RequestContext& ctx);
  [[nodiscard]] absl::StatusOr<AuditVerification> VerifyAudit(const RequestContext& ctx);
  // Root API key rotation (the root operator only; action admin, logged
  // before it runs, reason "root API key rotation"): the new key, shown
  // only here; the caller's key stops working at once.
  [[nodiscard]] absl::StatusOr<std::string> RotateRootApiKey(const RequestContext& ctx);

  // The retained-field records made by a (done) subject erasure.
  [[nodiscard]] absl::StatusOr<std::vector<records::RetainedRecord>> RetainedOf(
      const RequestContext& ctx, const records::ErasureRecord& erasure);
  // Retention classes of a tenant (action admin).
  [[nodiscard]] absl::StatusOr<records::RetentionClassRecord> PutRetentionClass(
      const RequestContext& ctx, std::string_view tenant, std::string_view name, int64_t days);
  [[nodiscard]] absl::StatusOr<std::vector<records::RetentionClassRecord>> ListRetentionClasses(
      const RequestContext& ctx, std::string_view tenant);

  // Admin.
  [[nodiscard]] absl::StatusOr<TenantInfo> GetTenant(const RequestContext& ctx,
                                                     std::string_view tenant);
  [[nodiscard]] absl::StatusOr<std::vector<KekInfo>> ListKeys(const RequestContext& ctx,
                                                              std::string_view tenant);
  [[nodiscard]] absl::StatusOr<uint32_t> RotateKey(const RequestContext& ctx,
                                                   std::string_view tenant);
  // The new tenant as stored (ALREADY_EXISTS if it exists).
  [[nodiscard]] absl::StatusOr<TenantInfo> CreateTenant(const RequestContext& ctx,
                                                        std::string_view tenant,
                                                        std::string_view residency);
  [[nodiscard]] absl::StatusOr<records::RoleRecord> PutRole(const RequestContext& ctx,
                                                            std::string_view tenant,
                                                            records::RoleRecord role);
  [[nodiscard]] absl::StatusOr<std::vector<records::RoleRecord>> ListRoles(
      const RequestContext& ctx, std::string_view tenant);
  [[nodiscard]] absl::StatusOr<IssuedPrincipal> CreatePrincipal(
      const RequestContext& ctx, std::string_view tenant, std::string_view name,
      const std::vector<std::string>& roles);
  [[nodiscard]] absl::Status DeletePrincipal(const RequestContext& ctx, std::string_view tenant,
                                             std::string_view id);
  // Console/#18: the tenant's principals (action admin; refusals logged like
  // other admin reads, the listing itself is not), never their key hashes.
  [[nodiscard]] absl::StatusOr<std::vector<PrincipalInfo>> ListPrincipals(const RequestContext& ctx,
                                                                          std::string_view tenant);

  // ---- Consent (#17 item 1; data_access_consent.cc). Every read path
  // (detokenize, subject reads, search, exports) refuses a read the
  // subject's consent does not allow (CheckConsent), logged as denied with
  // the reason "consent_withdrawn" or "minor_without_guardian_consent".
  // The subject's consent (action read or export), logged before it is
  // returned; the default consent when none was recorded. NOT_FOUND for an
  // unknown subject, GONE for an erased one.
  [[nodiscard]] absl::StatusOr<Consent> GetConsent(const RequestContext& ctx,
                                                   std::string_view tenant,
                                                   std::string_view subject);
  // Replaces the subject's consent (action write), logged in the same batch;
  // creates the subject's key if it has none yet. INVALID_ARGUMENT for a
  // malformed purpose, or legal / subject_request (never withdrawable).
  [[nodiscard]] absl::StatusOr<Consent> PutConsent(const RequestContext& ctx,
                                                   std::string_view tenant,
                                                   std::string_view subject, Consent consent);

  // ---- Processors (#17 item 4; data_access_processors.cc): parties that
  // received a tenant's data and get a signed notice of each of its
  // erasures. Action admin; changes are audited with the change.
  [[nodiscard]] absl::StatusOr<ProcessorStatus> PutProcessor(
      const RequestContext& ctx, std::string_view tenant, std::string_view name,
      std::string_view url, const std::vector<std::string>& events);
  [[nodiscard]] absl::StatusOr<ProcessorStatus> GetProcessor(const RequestContext& ctx,
                                                             std::string_view tenant,
                                                             std::string_view name);
  [[nodiscard]] absl::StatusOr<std::vector<ProcessorStatus>> ListProcessors(
      const RequestContext& ctx, std::string_view tenant);
  [[nodiscard]] absl::Status DeleteProcessor(const RequestContext& ctx, std::string_view tenant,
                                             std::string_view name);

 private:
  // Consent helpers (data_access_consent.cc). ConsentFor: what the
  // subject's consent says of a read with `purpose`; kNone for an unknown
  // or erased subject (that read answers NOT_FOUND or GONE itself).
  absl::StatusOr<ConsentRefusal> ConsentFor(std::string_view tenant, std::string_view subject,
                                            std::string_view purpose);
  // Logs the refusal (reason exactly ConsentRefusalReason) and returns
  // PERMISSION_DENIED.
  absl::Status DenyConsent(const RequestContext& ctx, std::string_view tenant, Action action,
                           std::string_view subject, ConsentRefusal refusal);
  // Export: refuses (logged) when consent does not allow the export, else
  // fills the consent, its history and the tenant's residency into `out`.
  absl::Status ExportConsent(const RequestContext& ctx, std::string_view tenant,
                             std::string_view subject, SubjectExport* out);

  AuditEvent Event(const RequestContext& ctx, std::string_view tenant, Action action,
                   std::string_view subject, std::vector<std::string> types, bool allowed,
                   std::string_view reason) const;
  // Logs a refusal durably and returns PERMISSION_DENIED (or UNAVAILABLE
  // when even the refusal cannot be logged).
  absl::Status Deny(const RequestContext& ctx, std::string_view tenant, Action action,
                    std::string_view subject, std::vector<std::string> types,
                    std::string_view reason);
  // Checks the purpose's form and the call-level permission.
  absl::Status Guard(const RequestContext& ctx, std::string_view tenant, Action action,
                     std::optional<DataType> type, RevealLevel reveal, std::string_view subject,
                     std::vector<std::string> types);
  // Guard for the common case: no data type, token-only, no listed types.
  absl::Status Check(const RequestContext& ctx, std::string_view tenant, Action action,
                     std::string_view subject = "");
  // Calls on the whole vault (Authorize with system_wide), which only
  // operators pass; a refusal says "only operators may <what>" and is logged
  // under `log_tenant`.
  absl::Status CheckOperator(const RequestContext& ctx, std::string_view log_tenant, Action action,
                             std::string_view what);
  // One allowed entry, for a service that commits it with its own batch.
  std::vector<AuditEvent> Allowed(const RequestContext& ctx, std::string_view tenant, Action action,
                                  std::string_view subject, std::string_view what) const;
  // Writes one allowed entry now (the intent, before a change outside the
  // store, or a read's record before its data is returned).
  absl::Status Log(const RequestContext& ctx, std::string_view tenant, Action action,
                   std::string_view subject, std::string_view what);
  absl::Status CommitAudit(std::vector<AuditEvent> events);
  // The check a field write or delete runs under the subject's lock on the
  // fields it replaces: write on each stored type (a refusal is left in
  // `refused` for the caller to log) and no hold on the subject
  // (FAILED_PRECONDITION).
  ReplaceCheck ReplaceGuard(const RequestContext& ctx, std::string_view tenant,
                            std::string_view subject, std::optional<Decision>* refused,
                            std::set<DataType>* stored_types);

  DataAccessOptions options_;
};

}  // namespace vault

#endif  // VAULT_DATA_ACCESS_H_
