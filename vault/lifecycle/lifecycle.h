// SubjectLifecycle: legal holds, erasure requests (pending with a grace
// period, cancellable, executed when due by RunDue; immediate with grace 0),
// crypto-shredding of a subject, signed erasure receipts, and shred epochs.
//
// Shredding a subject: one atomic batch deletes the wrapped DEK, the
// subject's field rows and blind-index entries, and records the subject in
// the shred ledger (so reads answer GONE and the id is never reused); the DEK
// leaves the key cache at once. CompactShredded (run by vaultd's scheduler
// after erasures) flushes and compacts the key, field and index tables so no
// live table file still holds the deleted records. Token records stay, as
// ciphertext under a key that no longer exists, so they answer GONE.
// A shred epoch (CloseEpoch) rotates the tenant KEK, rewraps every surviving
// DEK and destroys the retired KEK versions in the keyring: leftover bytes of
// a shredded wrapped DEK in old WAL/SST blocks or in copies of the RocksDB
// files are then wrapped under a key that exists nowhere.
//
// Receipt message: the UTF-8 lines "vaultd-erasure-receipt-v1", erasure_id,
// tenant, subject, requested_at, shredded_at, destroyed_key_id joined by
// "\n" (no trailing newline), signed with the vault's Ed25519 key.
// Thread-safety: safe for concurrent use; a subject's shred holds its lock.
#ifndef VAULT_LIFECYCLE_LIFECYCLE_H_
#define VAULT_LIFECYCLE_LIFECYCLE_H_

#include <atomic>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "crypto/random.h"
#include "vault/audit/audit_log.h"
#include "vault/audit/group_committer.h"
#include "vault/keys/key_hierarchy.h"
#include "vault/keys/subject_key_store.h"
#include "vault/model/records.pb.h"
#include "vault/storage/kv_store.h"
#include "vault/subjects/subject_store.h"

namespace vault {

struct LifecycleOptions {
  storage::KvStore* kv = nullptr;
  KeyHierarchy* keys = nullptr;
  SubjectKeyStore* subject_keys = nullptr;
  SubjectLocks* locks = nullptr;
  SubjectStore* subjects = nullptr;  // for retained fields
  GroupCommitter* committer = nullptr;
  const Clock* clock = nullptr;            // required
  crypto::RandomSource* random = nullptr;  // required
  // Erasure notices to processors (vault/notices/), both optional: adds
  // writes to the batch that records a subject's or a tenant's erasure as
  // done (one atomic write; an error fails the erasure), and is called once
  // that write is durable.
  std::function<absl::Status(const records::ErasureRecord& done, storage::WriteBatch* batch)>
      on_erasure_done;
  std::function<void()> after_erasure_done;
};

// The message a receipt's signature covers.
std::string ReceiptMessage(const records::ErasureReceipt& receipt);
// The message final_signature covers (PKCS#11 root): "vaultd-erasure-final-v1",
// erasure_id, the receipt's signature in base64, final_at (may be empty),
// backups_unreadable_by; one per line.
std::string ReceiptFinalMessage(const records::ErasureReceipt& receipt);
// PKCS#11 root: on a done erasure's receipt, sets backups_unreadable_by,
// final_at once a root epoch has followed a shred epoch covering it, and
// final_signature over both. Unchanged with a file root or while pending.
[[nodiscard]] absl::Status AddFinalAt(const KeyHierarchy& keys, records::ErasureReceipt* receipt);
// Sets the receipt's residency: the tenant's residency as the keyring records
// it (erased tenants too). Not covered by the signature: an annotation.
void AddResidency(const KeyHierarchy& keys, records::ErasureReceipt* receipt);
// OK when the receipt's signature verifies under `public_key` (raw 32 bytes).
[[nodiscard]] absl::Status VerifyReceipt(const records::ErasureReceipt& receipt,
                                         std::string_view public_key);

// A field row under a retention class, found while shredding.
struct RetainedRow {
  std::string field;
  std::string cls;
  std::string stored;  // the FieldRecord
};
// Adds to `batch` the deletion of a subject's wrapped data key, field rows
// and blind-index entries; lists rows under a retention class in *retained
// (when not null).
[[nodiscard]] absl::Status AddSubjectShredDeletes(storage::KvStore& kv, std::string_view tenant,
                                                  std::string_view subject,
                                                  storage::WriteBatch* batch,
                                                  std::vector<RetainedRow>* retained);
// Adds the shred-ledger writes of a done subject erasure.
void AddShredLedgerWrites(const records::ErasureRecord& erasure, int64_t shredded_at_ms,
                          std::string_view dek_id, storage::WriteBatch* batch);
// Deletes every record of a tenant from the data tables and compacts them.
[[nodiscard]] absl::Status DeleteTenantRecords(storage::KvStore& kv, std::string_view tenant);
// Every done erasure (subjects and tenants) in the shred ledger.
[[nodiscard]] absl::StatusOr<std::vector<records::ErasureRecord>> ListDoneErasures(
    storage::KvStore& kv);
// Applies a done erasure, known by its receipt, to a store that has not seen
// it (a restored backup): the same deletions and ledger records as the
// shred, or for a tenant (empty subject) the deletion of its records (the
// caller marks the tenant erased in the keyring). The receipt's signature
// is the caller's to check. Returns false when the store already had it.
[[nodiscard]] absl::StatusOr<bool> ReplayErasureReceipt(storage::KvStore& kv,
                                                        const records::ErasureReceipt& receipt);

// Hooks of a shred epoch run as a job (see RewrapJobs).
struct EpochControl {
  // 0: rotate first (a fresh epoch). Else the epoch already rotated to this
  // version before an interruption and resumes without rotating again.
  uint32_t target_version = 0;
  uint64_t done_before = 0;  // data keys rewrapped before the interruption
  size_t chunk_size = 500;   // data keys per write
  // After the rotation, before any rewrap: persist the target version.
  std::function<absl::Status(uint32_t version)> on_rotated;
  // Once the keys to move are counted: total = done_before + still to move.
  std::function<void(uint64_t total)> on_total;
  // Adds progress records to each chunk's write (same atomic batch).
  std::function<void(uint64_t done, storage::WriteBatch* batch)> on_chunk;
  // After each chunk: a pause, or an error to stop the epoch.
  std::function<absl::Status()> between_chunks;
};

class SubjectLifecycle {
 public:
  static constexpr absl::Duration kDefaultGrace = absl::Hours(72);

  explicit SubjectLifecycle(LifecycleOptions options) : options_(options) {}

  [[nodiscard]] absl::StatusOr<records::HoldRecord> PutHold(std::string_view tenant,
                                                            std::string_view subject,
                                                            std::string_view hold_id,
                                                            std::string_view reason,
                                                            const std::vector<AuditEvent>& audit);
  // NOT_FOUND when there is no such hold.
  [[nodiscard]] absl::Status ReleaseHold(std::string_view tenant, std::string_view subject,
                                         std::string_view hold_id,
                                         const std::vector<AuditEvent>& audit);
  [[nodiscard]] absl::StatusOr<std::vector<records::HoldRecord>> ListHolds(
      std::string_view tenant, std::string_view subject);
  // Whether any hold exists on the subject. Holds change under the
  // subject's lock, so a caller holding it gets an answer that stays true.
  [[nodiscard]] absl::StatusOr<bool> HasHold(std::string_view tenant, std::string_view subject);

  // FAILED_PRECONDITION while a hold exists or an erasure is already
  // pending; NOT_FOUND for an unknown subject; GONE when already erased.
  // grace == 0 shreds at once (state done, with receipt).
  [[nodiscard]] absl::StatusOr<records::ErasureRecord> RequestErasure(
      std::string_view tenant, std::string_view subject, absl::Duration grace,
      std::string_view principal, const std::vector<AuditEvent>& audit);
  // FAILED_PRECONDITION when no erasure is pending for the subject.
  [[nodiscard]] absl::StatusOr<records::ErasureRecord> CancelErasure(
      std::string_view tenant, std::string_view subject, const std::vector<AuditEvent>& audit);
  // NOT_FOUND when unknown in this tenant.
  [[nodiscard]] absl::StatusOr<records::ErasureRecord> GetErasure(std::string_view tenant,
                                                                  std::string_view erasure_id);

  // Executes every pending erasure whose time has come and whose subject has
  // no hold (held ones wait). Returns how many were executed.
  [[nodiscard]] absl::StatusOr<int> RunDue();

  // Pending erasures whose due time has passed (for GET /metrics): RunDue
  // executes them within a second, so any that stay are overdue (a hold, a
  // sealed vault, a failing store). Reads the due index only.
  struct DueErasures {
    int count = 0;                   // due and still pending, held ones included
    int held = 0;                    // of those, waiting on a hold
    int64_t oldest_due_unix_ms = 0;  // 0 when none
  };
  [[nodiscard]] absl::StatusOr<DueErasures> CountDue();

  // Crypto-shreds a whole tenant: destroys all its KEK versions and its
  // subkey root in the keyring, then deletes its records from the store and
  // compacts them away. Returns the signed receipt (subject empty).
  [[nodiscard]] absl::StatusOr<records::ErasureReceipt> EraseTenant(
      std::string_view tenant, const std::vector<AuditEvent>& audit);

  // The pending erasure of a subject, if any (for exports).
  [[nodiscard]] absl::StatusOr<std::optional<records::ErasureRecord>> PendingErasure(
      std::string_view tenant, std::string_view subject);

  // Flushes and compacts the key, field and index tables if anything was
  // shredded since the last call.
  [[nodiscard]] absl::Status CompactShredded();
  bool compaction_pending() const { return compaction_pending_.load(); }

  // Rotates the tenant KEK, rewraps every DEK wrapped under an older
  // version, then destroys every older version. Epochs and rotations of a
  // vault are serialised. An interrupted epoch is finished by running it
  // again (it rotates once more; everything ends on the newest version).
  // Returns DEKs rewrapped.
  [[nodiscard]] absl::StatusOr<uint64_t> CloseEpoch(std::string_view tenant);
  // The same, as a resumable job: `control` says where to resume and
  // receives progress.
  [[nodiscard]] absl::StatusOr<uint64_t> CloseEpoch(std::string_view tenant, EpochControl& control);
  // A KEK rotation serialised with epochs (so an epoch never destroys a
  // version it did not retire itself).
  [[nodiscard]] absl::StatusOr<uint32_t> RotateKey(std::string_view tenant);

  // Retention classes of a tenant: the built-in ones (financial_5y: 1826
  // days) unless overridden, and those configured (1-36500 days).
  [[nodiscard]] absl::StatusOr<records::RetentionClassRecord> PutRetentionClass(
      std::string_view tenant, std::string_view name, int64_t days,
      const std::vector<AuditEvent>& audit);
  [[nodiscard]] absl::StatusOr<std::vector<records::RetentionClassRecord>> ListRetentionClasses(
      std::string_view tenant);
  // NOT_FOUND for a class the tenant does not have.
  [[nodiscard]] absl::StatusOr<absl::Duration> RetentionPeriod(std::string_view tenant,
                                                               std::string_view name);
  // The retained-field records of an erased subject (any state).
  [[nodiscard]] absl::StatusOr<std::vector<records::RetainedRecord>> ListRetained(
      std::string_view tenant, std::string_view subject);
  // The fields of an erased subject still under an unexpired retention
  // class, revealed at `reveal`; `visible` decides per type as in
  // SubjectStore::ReadFields. Empty when nothing is retained.
  [[nodiscard]] absl::StatusOr<std::map<std::string, RevealedField>> ReadRetained(
      std::string_view tenant, std::string_view subject, const std::vector<std::string>& names,
      RevealLevel reveal, const std::function<bool(DataType)>& visible,
      std::vector<std::string>* withheld);
  // Destroys the retention keys (and retained fields) whose class has
  // expired, unless the subject is under a hold; each yields a signed
  // receipt (destroyed_key_id "retention:<class>:<key id hex>"). RunDue
  // calls it. Returns how many expired.
  [[nodiscard]] absl::StatusOr<int> ExpireDueRetention();

 private:
  absl::StatusOr<records::ErasureRecord> ShredLocked(records::ErasureRecord erasure,
                                                     const std::vector<AuditEvent>& audit);
  // Re-encrypts `rows` (fields under retention classes) under a retention
  // key per class and adds them, the keys and the ledger records to `batch`.
  absl::Status AddRetainedCopies(const records::ErasureRecord& erasure, const DataKey& dek,
                                 const std::vector<RetainedRow>& rows, int64_t now_ms,
                                 storage::WriteBatch* batch);
  absl::StatusOr<records::ErasureReceipt> SignedReceipt(records::ErasureReceipt receipt);
  absl::Status CheckTenantAndSubject(std::string_view tenant, std::string_view subject);
  // The end of an epoch: once no data key of the tenant is under a version
  // older than `active_version` (ABORTED otherwise; every subject stripe is
  // held meanwhile), destroys those older versions.
  absl::Status DestroyRetiredVersions(std::string_view tenant, uint32_t active_version);
  // Expires one due retained class of a subject (`due_key` its queue entry),
  // under the subject's lock; false when it was skipped (held, or no longer
  // retained).
  absl::StatusOr<bool> ExpireRetention(std::string_view due_key, std::string_view tenant,
                                       std::string_view subject, std::string_view cls);

  LifecycleOptions options_;
  // Set at start too: a crash may have come between a shred and its
  // compaction.
  std::atomic<bool> compaction_pending_{true};
  std::mutex epoch_mu_;
};

}  // namespace vault

#endif  // VAULT_LIFECYCLE_LIFECYCLE_H_
