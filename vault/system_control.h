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
#include "vault/cluster_sync.h"
#include "vault/keys/key_hierarchy.h"
#include "vault/storage/kv_store.h"

namespace vault {

class AuditLog;
class GroupCommitter;
class PrincipalStore;
class RewrapJobs;
class SubjectKeyStore;
class SubjectLifecycle;

struct SystemStatus {
  bool initialized = false;
  bool sealed = true;
  storage::StorageHealth storage;
  uint64_t audit_entries_appended = 0;
  uint64_t commit_groups = 0;
  uint64_t audit_write_failures = 0;  // audited commits refused since open (not sealed ones)
  // Console/#18 metrics: unwrapped subject keys (DEKs) cached, and the cap.
  size_t dek_cache_entries = 0;
  size_t dek_cache_capacity = 0;
  // Several nodes on one store (ClusterSync): generation reads made before
  // requests, and how often they found a change and dropped the caches.
  uint64_t cluster_sync_reads = 0;
  uint64_t cluster_cache_drops = 0;
};

// What GET /metrics reports beyond SystemStatus; it reads persisted
// records, so it costs a scan of the due-erasure index and the job records.
struct ObservedState {
  bool ok = false;  // false: the store could not be read (values are zero)
  int erasures_due = 0;
  int erasures_due_held = 0;
  int64_t oldest_due_unix_ms = 0;
  int rewrap_jobs_running = 0;
  int rewrap_jobs_failed = 0;
  uint64_t rewrap_running_keys_done = 0;
  int64_t oldest_running_job_created_unix_ms = 0;
};

// What one maintenance pass did (for vaultd's log).
struct MaintenanceReport {
  storage::StorageHealth storage;  // after the recovery attempt
  bool lease_held = false;         // ran the vault-wide work (KvStore::HoldMaintenanceLease)
  int erasures_executed = 0;
  int jobs_resumed = 0;
  int epochs_started = 0;  // scheduled shred epochs (RewrapJobs::StartDueEpochs)
  bool compaction_failed = false;
  std::string token_error;        // PKCS#11 root: why the token check failed
  int backup_keys_destroyed = 0;  // PKCS#11 root: expired backups made unreadable
};

struct SystemControlOptions {
  KeyHierarchy* keys = nullptr;
  storage::KvStore* kv = nullptr;
  AuditLog* audit = nullptr;
  GroupCommitter* committer = nullptr;
  PrincipalStore* principals = nullptr;
  SubjectLifecycle* lifecycle = nullptr;
  RewrapJobs* jobs = nullptr;
  const SubjectKeyStore* subject_keys = nullptr;  // its cache's fill, for metrics
  size_t dek_cache_capacity = 0;                  // the cap it was made with
  ClusterSync* cluster = nullptr;                 // several nodes on one store
};

class SystemControl {
 public:
  explicit SystemControl(SystemControlOptions options) : options_(options) {}

  SystemStatus Status() const;
  // FAILED_PRECONDITION when already initialised. With a PKCS#11 root the
  // shares are ignored: the root key is made in the token, no share is
  // returned, and the vault is unsealed at once.
  [[nodiscard]] absl::StatusOr<KeyHierarchy::ShamirInit> Initialize(int shares, int threshold);
  [[nodiscard]] absl::StatusOr<KeyHierarchy::UnsealProgress> SubmitUnsealShare(
      std::string_view share);
  // Rekey and its cancel (KeyHierarchy::SubmitRekeyShare). Unauthenticated,
  // like unseal; the shares are the credential. Audited (tenant "",
  // principal kShareHoldersPrincipal, action admin): a completing rekey
  // writes "rekey" durably before the keyring changes (UNAVAILABLE and no
  // rekey when it cannot), a combination that does not open the keyring a
  // denied entry (best effort), a cancel of an attempt in progress
  // "rekey cancelled" (best effort; the cancel happens anyway).
  static constexpr std::string_view kShareHoldersPrincipal = "unseal-share-holders";
  [[nodiscard]] absl::StatusOr<KeyHierarchy::RekeyProgress> SubmitRekeyShare(
      int shares, int threshold, std::string_view share, std::string_view request_id);
  void CancelRekey(std::string_view request_id);
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
  // Before serving a request on a store several nodes share: puts in force
  // every change another node committed before this call (ClusterSync).
  // UNAVAILABLE when the store cannot be read. OK at once on a store one
  // process owns.
  [[nodiscard]] absl::Status SyncWithCluster() {
    return options_.cluster != nullptr ? options_.cluster->Sync() : absl::OkStatus();
  }
  ObservedState Observe() const;
  // Stops re-wrap jobs after their current chunk, compacts, flushes and
  // seals. Returns the first failure (the rest still run).
  absl::Status Shutdown();

 private:
  absl::Status AuditShareHolders(std::string_view request_id, bool allowed,
                                 std::string_view reason);

  SystemControlOptions options_;
};

}  // namespace vault

#endif  // VAULT_SYSTEM_CONTROL_H_
