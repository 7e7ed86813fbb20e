// AuditLog: the tamper-evident record of every read, reveal, search, export,
// write, erasure, hold, key and admin change, and every denied attempt.
// Entries are hash-chained (each commits to the previous one); a MACed head
// record is written with every append (so tail deletion shows) and an
// Ed25519-signed checkpoint every `checkpoint_every` entries. Entries are
// appended by the GroupCommitter's thread, in commit order, inside the same
// atomic write as the change they describe. Once a group holding a
// checkpoint is durable, a signed anchor (seq, hash, checkpoint count) is
// written to the keyring file, outside RocksDB: a store rolled back, an
// audit table wiped or checkpoints deleted then fail Verify and stop
// appending (fail closed). What remains undetected is a rollback to a point
// after the newest anchor (less than `checkpoint_every` entries back) and a
// rollback of the keyring file together with the store.
// Several nodes on a shared store append to one chain: each group is staged
// inside its write's transaction, on the head read there under the head's
// lock (StageOn through KvStore::WriteGroupOn), so the nodes' groups are
// chained one after the other.
// Thread-safety: Stage/Finish only from the committer thread; Verify and
// Find from any thread.
// Never holds a value: tokens and keys appear only as keyed fingerprints.
#ifndef VAULT_AUDIT_AUDIT_LOG_H_
#define VAULT_AUDIT_AUDIT_LOG_H_

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "vault/keys/key_hierarchy.h"
#include "vault/model/records.pb.h"
#include "vault/storage/kv_store.h"

namespace vault {

// What the log stores for an id that failed validation, or any text that
// is not short, printable UTF-8: never the caller's bytes.
inline constexpr std::string_view kUnsafeAuditText = "!invalid";

struct AuditEvent {
  std::string principal;
  std::string tenant;
  std::string action;
  std::string subject;      // cleared by SubjectPseudonyms, which sets:
  std::string subject_ref;  // the subject's pseudonym (subject_pseudonyms.h)
  std::vector<std::string> types;
  std::string purpose;
  bool allowed = true;
  std::string request_id;
  std::string reason;  // fixed phrase when denied
  std::vector<std::string> fingerprints;
};

struct AuditQuery {
  std::string tenant;  // required
  std::string subject, principal, action;
  std::optional<absl::Time> since, until;
  size_t limit = 100;
  uint64_t after_seq = 0;  // page token
};

struct AuditPage {
  std::vector<records::AuditEntry> entries;
  uint64_t next_after_seq = 0;  // 0 = no more
};

struct AuditExportPage {
  std::vector<records::AuditEntry> entries;
  std::vector<records::AuditCheckpoint> checkpoints;
  uint64_t next_after_seq = 0;  // 0 = no more
};

struct AuditVerification {
  bool ok = false;
  uint64_t entries = 0;
  std::string head;     // hex of the last entry's hash
  std::string problem;  // empty when ok
  uint64_t at_seq = 0;  // where the problem was found
};

class AuditLog {
 public:
  AuditLog(storage::KvStore* kv, KeyHierarchy* keys, const Clock* clock,
           uint64_t checkpoint_every = 1000);

  // Committer thread: gives `events` their sequence numbers and hashes and
  // adds the entries, the new head and any checkpoint to `batch`. Must be
  // followed by Finish with the write's outcome. Fails (and the group with
  // it) while sealed or when the stored head does not verify.
  [[nodiscard]] absl::Status Stage(const std::vector<const AuditEvent*>& events,
                                   storage::WriteBatch* batch);
  // Shared stores: as Stage, on the head `stored_head` read under the
  // head's lock (KvStore::WriteGroupOn), which another node may have
  // advanced since this node's last group.
  [[nodiscard]] absl::Status StageOn(const std::optional<std::string>& stored_head,
                                     const std::vector<const AuditEvent*>& events,
                                     storage::WriteBatch* batch);
  void Finish(bool written);

  // Walks the whole chain and checks hashes, sequence, head, checkpoints
  // and the anchor.
  [[nodiscard]] absl::StatusOr<AuditVerification> Verify();

  // The stored chain against its anchor: "" when it reaches the anchor (or
  // there is none yet), else one of the problems below. Needs no key, so it
  // works while sealed (vaultd runs it at start-up).
  [[nodiscard]] absl::StatusOr<std::string> AnchorProblem();
  static constexpr char kChainOlderThanAnchor[] =
      "chain is older than its anchor (rollback or wipe)";
  static constexpr char kChainDiffersFromAnchor[] = "chain differs from its anchor (rollback)";
  static constexpr char kCheckpointsMissing[] =
      "signed checkpoints named by the anchor are missing (deleted)";
  static constexpr char kAnchorForged[] = "anchor failed authentication";

  // Entries of one tenant matching the filters, oldest first. A subject
  // filter matches the subject's pseudonym (through the resolver) and, in
  // entries written before pseudonyms, its id; entries it matches show the
  // id in `subject`.
  [[nodiscard]] absl::StatusOr<AuditPage> Find(const AuditQuery& query);
  // The pseudonym of a living subject, nullopt when it has none
  // (SubjectPseudonyms::Find). Set before first use.
  using SubjectResolver = std::function<absl::StatusOr<std::optional<std::string>>(
      std::string_view tenant, std::string_view subject)>;
  void set_subject_resolver(SubjectResolver resolver) { resolve_ = std::move(resolver); }

  // The raw chain for export: up to `limit` entries after `after_seq`, and
  // the checkpoints among them.
  [[nodiscard]] absl::StatusOr<AuditExportPage> Export(uint64_t after_seq, size_t limit);

  // Entries appended since open (for metrics and tests).
  uint64_t appended() const;

  static std::string EntryKey(uint64_t seq);
  static std::string HeadKey();
  static std::string CheckpointKey(uint64_t seq);

 private:
  absl::Status LoadHeadLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status AdoptHeadLocked(const std::optional<std::string>& image)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status EnsureLoadedLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status StageLocked(const std::vector<const AuditEvent*>& events, storage::WriteBatch* batch)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // After LoadHeadLocked: the anchor check, and the checkpoint count.
  absl::Status CheckAnchorLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  storage::KvStore* kv_;
  KeyHierarchy* keys_;
  const Clock* clock_;
  const uint64_t checkpoint_every_;
  SubjectResolver resolve_;
  mutable std::mutex mu_;
  bool loaded_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t head_seq_ ABSL_GUARDED_BY(mu_) = 0;
  std::string head_hash_ ABSL_GUARDED_BY(mu_);
  std::optional<std::string> head_image_ ABSL_GUARDED_BY(mu_);  // the stored head record
  std::string staged_head_image_ ABSL_GUARDED_BY(mu_);
  uint64_t staged_seq_ ABSL_GUARDED_BY(mu_) = 0;
  std::string staged_hash_ ABSL_GUARDED_BY(mu_);
  uint64_t appended_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t checkpoints_ ABSL_GUARDED_BY(mu_) = 0;  // stored checkpoints
  uint64_t staged_checkpoints_ ABSL_GUARDED_BY(mu_) = 0;
  std::optional<records::AuditAnchor> staged_anchor_ ABSL_GUARDED_BY(mu_);
  std::optional<records::AuditAnchor> pending_anchor_ ABSL_GUARDED_BY(mu_);  // not yet stored
};

// Walks a chain offline or online: checkpoints first (signatures under the
// given public key), then entries in order from seq 1 (sequence, links,
// hashes, agreement with checkpoints). Cannot check the MACed head (its key
// stays in the vault): offline, entries after the last checkpoint are
// chained but a cut tail after it goes unnoticed.
class AuditChainVerifier {
 public:
  explicit AuditChainVerifier(std::string public_key);
  bool AddCheckpoint(const records::AuditCheckpoint& checkpoint);  // false: failed
  bool AddEntry(const records::AuditEntry& entry);                 // false: failed
  bool Fail(std::string_view what, uint64_t seq);                  // records a problem
  bool Finish();  // truncation against the checkpoints; sets ok and head
  bool ok() const { return !failed_; }
  uint64_t entries() const { return result_.entries; }
  uint64_t last_checkpoint() const;  // highest checkpoint seq covered, 0 if none
  const std::string& last_hash() const { return prev_; }
  const AuditVerification& result() const { return result_; }

 private:
  std::string public_key_;
  std::map<uint64_t, std::string> checkpoints_;
  std::string prev_;
  bool failed_ = false;
  AuditVerification result_;
};

// The hash of an entry given its fields (hash field ignored) and prev_hash.
[[nodiscard]] absl::StatusOr<std::string> AuditEntryHash(const records::AuditEntry& entry);

}  // namespace vault

#endif  // VAULT_AUDIT_AUDIT_LOG_H_
