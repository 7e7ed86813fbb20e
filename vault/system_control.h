// SystemControl: the calls on the vault as a whole that come before, or
// beside, a principal: status and health, first initialisation, unseal
// shares, the receipt-signing key, API key authentication, and the
// maintenance and shutdown steps vaultd's own scheduler runs. Everything a
// principal asks for goes through DataAccess instead (seal and audit
// verification included, which are authorized and logged there).
// Thread-safety: safe for concurrent use.
// Never logs; shares and the root API key only pass through to the caller.
#ifndef VAULT_SYSTEM_CONTROL_H_
#define VAULT_SYSTEM_CONTROL_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "vault/access/access_policy.h"
#include "vault/keys/key_hierarchy.h"
#include "vault/storage/kv_store.h"

namespace vault {

class AuditLog;
class GroupCommitter;
class PrincipalStore;
class RewrapJobs;
class SubjectLifecycle;

struct SystemStatus {
  bool initialized = false;
  bool sealed = true;
  storage::StorageHealth storage;
  uint64_t audit_entries_appended = 0;
  uint64_t commit_groups = 0;
};

// What one maintenance pass did (for vaultd's log).
struct MaintenanceReport {
  storage::StorageHealth storage;  // after the recovery attempt
  int erasures_executed = 0;
  int jobs_resumed = 0;
  int epochs_started = 0;  // scheduled shred epochs (RewrapJobs::StartDueEpochs)
  bool compaction_failed = false;
};

struct SystemControlOptions {
  KeyHierarchy* keys = nullptr;
  storage::KvStore* kv = nullptr;
  AuditLog* audit = nullptr;
  GroupCommitter* committer = nullptr;
  PrincipalStore* principals = nullptr;
  SubjectLifecycle* lifecycle = nullptr;
  RewrapJobs* jobs = nullptr;
};

class SystemControl {
 public:
  explicit SystemControl(SystemControlOptions options) : options_(options) {}

  SystemStatus Status() const;
  // FAILED_PRECONDITION when already initialised.
  [[nodiscard]] absl::StatusOr<KeyHierarchy::ShamirInit> Initialize(int shares, int threshold);
  [[nodiscard]] absl::StatusOr<KeyHierarchy::UnsealProgress> SubmitUnsealShare(
      std::string_view share);
  // The Ed25519 key that signs receipts and audit checkpoints (raw bytes).
  [[nodiscard]] absl::StatusOr<std::string> ReceiptPublicKey() const;
  [[nodiscard]] absl::StatusOr<Principal> Authenticate(std::string_view api_key);
  // The audit chain against its anchor in the keyring: empty when they
  // agree, else what is wrong (audited calls then fail closed).
  [[nodiscard]] absl::StatusOr<std::string> AuditAnchorProblem();
  // One pass: retries failed storage (rate-limited by the store); when
  // unsealed and writable, runs due erasures, resumes interrupted re-wrap
  // jobs, starts the shred epochs that are due and compacts what erasures
  // left behind.
  MaintenanceReport RunMaintenance();
  // Stops re-wrap jobs after their current chunk, compacts, flushes and
  // seals. Returns the first failure (the rest still run).
  absl::Status Shutdown();

 private:
  SystemControlOptions options_;
};

}  // namespace vault

#endif  // VAULT_SYSTEM_CONTROL_H_
