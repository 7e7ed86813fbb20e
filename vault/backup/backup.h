// Backups of a vault's data folder, and their offline verification and
// restore.
//
// A backup folder holds:
//   db/        a RocksDB checkpoint (a consistent copy of every table, the
//              shred ledger included), made online while the vault serves;
//   keyring    the keyring (wrapped keys only) as it was at that moment;
//   manifest   a SignedBackupManifest: every other file's size and BLAKE2b,
//              signed with the vault's Ed25519 key.
// It holds what the data folder holds (ciphertext and wrapped keys) and is as
// sensitive: opening it needs the same unseal material as the vault.
//
// A restore copies a verified backup into a new data folder and then replays
// the shred ledger: every erasure receipt the vault signed after the backup
// (exported from the live vault with GET /v1/sys/shred-ledger) is applied
// before the folder is ever served, so a restore never brings an erased
// subject or tenant back. Receipts are checked against the backup's signing
// key first; a receipt that does not verify stops the restore before anything
// is written.
// Every file is read and written through a base::Env: CreateBackup uses the
// key hierarchy's (keys.env()), the offline functions take one (the real
// file system by default). Files are written whole or not at all; on error
// the partial backup or restore folder is removed.
// Thread-safety: CreateBackup is safe while the vault serves; the offline
// functions work on folders no process has open.
#ifndef VAULT_BACKUP_BACKUP_H_
#define VAULT_BACKUP_BACKUP_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "base/env.h"
#include "vault/keys/key_hierarchy.h"
#include "vault/model/records.pb.h"
#include "vault/storage/kv_store.h"

namespace vault {

struct BackupSummary {
  std::string path;
  int64_t created_at_unix_ms = 0;
  uint64_t files = 0;
  uint64_t bytes = 0;
  uint64_t ledger_entries = 0;
  int64_t expires_at_unix_ms = 0;  // 0 = never (file root)
};

// Writes a backup of the open, unsealed vault into `dir`, which must not
// exist (its parent must). FAILED_PRECONDITION when it exists; SEALED while
// sealed. On error the partial folder is removed. PKCS#11 root: the backup's
// keys are wrapped under a backup key object that is destroyed at the end of
// the day `expires_in` from now ends in (zero: the default of 35 days), see
// KeyHierarchy::WithBackupKeyring; a file root takes no expiry.
[[nodiscard]] absl::StatusOr<BackupSummary> CreateBackup(
    KeyHierarchy& keys, storage::KvStore& kv, const std::string& dir,
    absl::Duration expires_in = absl::ZeroDuration());

// Checks a backup folder offline: the manifest's signature (under
// `public_key`, raw 32 bytes, when given; else under the key the backup's
// keyring names, which must be the manifest's), and that exactly the listed
// files exist with the listed sizes and hashes. DATA_LOSS names the first
// problem.
[[nodiscard]] absl::StatusOr<BackupSummary> VerifyBackup(const std::string& dir,
                                                         std::string_view public_key = "",
                                                         base::Env& env = base::Env::Posix());

// A backup name: one path component of A-Z a-z 0-9 . _ - (not . or ..),
// 1-100 characters.
[[nodiscard]] absl::Status ValidateBackupName(std::string_view name);

// The signed text of a live state: "vaultd-live-state-v1", the export time,
// then one sorted line per erasure, hold (reason in base64) and principal.
std::string LiveStateMessage(const records::LiveState& state);
// The live state of an open, unsealed vault, signed.
[[nodiscard]] absl::StatusOr<records::LiveState> CaptureLiveState(KeyHierarchy& keys,
                                                                  storage::KvStore& kv,
                                                                  int64_t now_ms);
struct LiveStateReport {
  uint64_t erasures_cancelled = 0;  // pending in the copy, cancelled since
  uint64_t erasures_requested = 0;  // requested since, pending again
  uint64_t holds = 0;               // holds now in the copy (the live ones)
  uint64_t principals_removed = 0;  // deleted since (their keys stop working)
};
// Makes a restored store agree with a live state (signature checked by the
// caller).
[[nodiscard]] absl::StatusOr<LiveStateReport> ApplyLiveState(storage::KvStore& kv,
                                                             const records::LiveState& state);

struct RestoreReport {
  BackupSummary backup;
  uint64_t receipts = 0;           // receipts given
  uint64_t replayed_subjects = 0;  // subject erasures applied to the copy
  uint64_t replayed_tenants = 0;   // tenant erasures applied to the copy
  uint64_t already_in_backup = 0;  // erasures the backup already held
  bool live_state_applied = false;
  LiveStateReport live;
};

// Restores `backup_dir` into `data_dir` (which must not exist, or be an empty
// folder) and replays `newer_receipts`. Works in `data_dir`.partial and
// renames it at the end, so a failed restore leaves no data folder behind.
// The backup is verified first (under `public_key` when given, the vault's
// pinned key). PERMISSION_DENIED when a receipt's signature does not verify
// under the backup's signing key; FAILED_PRECONDITION, naming the time, when
// the backup expired before `now`.
[[nodiscard]] absl::StatusOr<RestoreReport> RestoreBackup(
    const std::string& backup_dir, const std::string& data_dir,
    const std::vector<records::ErasureReceipt>& newer_receipts, absl::Time now,
    std::string_view public_key = "", const records::LiveState* live_state = nullptr,
    base::Env& env = base::Env::Posix());

}  // namespace vault

#endif  // VAULT_BACKUP_BACKUP_H_
