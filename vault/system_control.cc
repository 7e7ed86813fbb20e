// SystemControl implementation.
#include "vault/system_control.h"

#include "vault/access/principal_store.h"
#include "vault/audit/audit_log.h"
#include "vault/audit/group_committer.h"
#include "vault/keys/subject_key_store.h"
#include "vault/lifecycle/lifecycle.h"
#include "vault/lifecycle/rewrap_jobs.h"

namespace vault {

SystemStatus SystemControl::Status() const {
  SystemStatus s;
  s.initialized = options_.keys->initialized();
  s.sealed = options_.keys->sealed();
  s.storage = options_.kv->Health();
  s.audit_entries_appended = options_.audit->appended();
  s.commit_groups = options_.committer->groups();
  s.audit_write_failures = options_.committer->audit_failures();
  if (options_.subject_keys != nullptr) s.dek_cache_entries = options_.subject_keys->cached();
  s.dek_cache_capacity = options_.dek_cache_capacity;
  if (options_.cluster != nullptr) {
    s.cluster_sync_reads = options_.cluster->reads();
    s.cluster_cache_drops = options_.cluster->changes();
  }
  return s;
}

ObservedState SystemControl::Observe() const {
  ObservedState o;
  absl::StatusOr<SubjectLifecycle::DueErasures> due = options_.lifecycle->CountDue();
  absl::StatusOr<RewrapJobs::Stats> jobs = options_.jobs->GetStats();
  o.ok = due.ok() && jobs.ok();
  if (due.ok()) {
    o.erasures_due = due->count;
    o.erasures_due_held = due->held;
    o.oldest_due_unix_ms = due->oldest_due_unix_ms;
  }
  if (jobs.ok()) {
    o.rewrap_jobs_running = jobs->running;
    o.rewrap_jobs_failed = jobs->failed;
    o.rewrap_running_keys_done = jobs->running_keys_done;
    o.oldest_running_job_created_unix_ms = jobs->oldest_running_created_unix_ms;
  }
  return o;
}

absl::StatusOr<KeyHierarchy::ShamirInit> SystemControl::Initialize(int shares, int threshold) {
  if (options_.keys->initialized()) {
    return absl::FailedPreconditionError("vault is already initialised");
  }
  if (options_.keys->token_root()) {
    // The root key is created inside the token: there are no shares, and the
    // vault unseals itself from the token.
    absl::StatusOr<std::string> root_api_key = options_.keys->InitializeWithToken();
    if (!root_api_key.ok()) return root_api_key.status();
    KeyHierarchy::ShamirInit init{{}, std::move(*root_api_key)};
    if (absl::Status unsealed = options_.keys->UnsealWithToken(); !unsealed.ok()) {
      crypto::SecureWipe(init.root_api_key);
      return unsealed;
    }
    return init;
  }
  return options_.keys->InitializeWithShares(shares, threshold);
}

absl::StatusOr<KeyHierarchy::UnsealProgress> SystemControl::SubmitUnsealShare(
    std::string_view share) {
  return options_.keys->SubmitUnsealShare(share);
}

absl::Status SystemControl::AuditShareHolders(std::string_view request_id, bool allowed,
                                              std::string_view reason) {
  std::vector<AuditEvent> events(1);
  events[0].principal = std::string(kShareHoldersPrincipal);
  events[0].action = std::string(ActionName(Action::kAdmin));
  events[0].allowed = allowed;
  events[0].request_id = std::string(request_id);
  events[0].reason = std::string(reason);
  if (options_.committer->Commit(storage::WriteBatch(), &events).ok()) return absl::OkStatus();
  return absl::UnavailableError("audit log cannot be written");
}

absl::StatusOr<KeyHierarchy::RekeyProgress> SystemControl::SubmitRekeyShare(
    int shares, int threshold, std::string_view share, std::string_view request_id) {
  absl::StatusOr<KeyHierarchy::RekeyProgress> progress = options_.keys->SubmitRekeyShare(
      shares, threshold, share, [&] { return AuditShareHolders(request_id, true, "rekey"); });
  if (absl::IsPermissionDenied(progress.status())) {
    (void)AuditShareHolders(request_id, false, "rekey: shares do not open the keyring");
  }
  return progress;
}

void SystemControl::CancelRekey(std::string_view request_id) {
  if (options_.keys->CancelRekey() && !options_.keys->sealed()) {
    (void)AuditShareHolders(request_id, true, "rekey cancelled");
  }
}

absl::StatusOr<std::string> SystemControl::ReceiptPublicKey() const {
  return options_.keys->SigningPublicKey();
}

absl::StatusOr<Principal> SystemControl::Authenticate(std::string_view api_key) {
  return options_.principals->Authenticate(api_key);
}

absl::StatusOr<std::string> SystemControl::AuditAnchorProblem() {
  return options_.audit->AnchorProblem();
}

MaintenanceReport SystemControl::RunMaintenance() {
  MaintenanceReport report;
  (void)options_.kv->Recover();
  report.storage = options_.kv->Health();
  // PKCS#11 root: seal when the token has gone, unseal when it is back.
  if (absl::Status token = options_.keys->CheckToken(); !token.ok()) {
    report.token_error = std::string(token.message());
  }
  // PKCS#11 root: backups whose day has ended can no longer be opened. Needs
  // only the token and the keyring file, so it runs sealed too.
  absl::StatusOr<int> expired = options_.keys->DestroyExpiredBackupKeys();
  if (expired.ok()) report.backup_keys_destroyed = *expired;
  if (options_.keys->sealed() || !report.storage.writable) return report;
  // Several nodes on one store: only the lease holder runs the vault-wide
  // work below, so each due erasure runs once; another node takes the
  // lease over when its holder dies.
  absl::StatusOr<bool> lease = options_.kv->HoldMaintenanceLease();
  report.lease_held = lease.ok() && *lease;
  if (!report.lease_held) return report;
  absl::StatusOr<int> executed = options_.lifecycle->RunDue();
  if (executed.ok()) report.erasures_executed = *executed;
  absl::StatusOr<int> resumed = options_.jobs->ResumeInterrupted();
  if (resumed.ok()) report.jobs_resumed = *resumed;
  absl::StatusOr<int> epochs = options_.jobs->StartDueEpochs();
  if (epochs.ok()) report.epochs_started = *epochs;
  report.compaction_failed = !options_.lifecycle->CompactShredded().ok();
  return report;
}

absl::Status SystemControl::Shutdown() {
  absl::Status first;
  options_.jobs->Stop();
  if (!options_.keys->sealed()) first.Update(options_.lifecycle->CompactShredded());
  first.Update(options_.kv->Flush());
  options_.keys->Seal();
  return first;
}

}  // namespace vault
