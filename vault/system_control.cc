// SystemControl implementation.
#include "vault/system_control.h"

#include "vault/access/principal_store.h"
#include "vault/audit/audit_log.h"
#include "vault/audit/group_committer.h"
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
  return s;
}

absl::StatusOr<KeyHierarchy::ShamirInit> SystemControl::Initialize(int shares, int threshold) {
  if (options_.keys->initialized()) {
    return absl::FailedPreconditionError("vault is already initialised");
  }
  return options_.keys->InitializeWithShares(shares, threshold);
}

absl::StatusOr<KeyHierarchy::UnsealProgress> SystemControl::SubmitUnsealShare(
    std::string_view share) {
  return options_.keys->SubmitUnsealShare(share);
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
  if (options_.keys->sealed() || !report.storage.writable) return report;
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
