// Restore: a verified backup copied into a new data folder, the shred
// ledger's newer receipts (and optionally a live state) replayed into the
// copy before it is ever served. Works in `data_dir`.partial and renames it
// at the end. Every file goes through the Env.
#include <string>
#include <vector>

#include "base/files.h"
#include "base/status.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "crypto/signing.h"
#include "vault/backup/backup.h"
#include "vault/backup/internal/backup_files.h"
#include "vault/keys/keyring_file.h"
#include "vault/lifecycle/lifecycle.h"
#include "vault/model/record_keys.h"
#include "vault/storage/rocks_kv_store.h"

namespace vault {
namespace {

using backup_internal::kKeyringName;
using backup_internal::ReadManifest;
using backup_internal::ReadWholeFile;

// Everything checked before anything is written: the backup verifies, each
// receipt and the live state are signed by the backup's vault, and the
// target is free. Returns the backup's manifest.
absl::StatusOr<records::BackupManifest> CheckRestore(
    base::Env& env, const std::string& backup_dir, const std::string& data_dir,
    const std::vector<records::ErasureReceipt>& newer_receipts, absl::Time now,
    std::string_view public_key, const records::LiveState* live_state, RestoreReport* report) {
  absl::StatusOr<BackupSummary> verified = VerifyBackup(backup_dir, public_key, env);
  if (!verified.ok()) return verified.status();
  report->backup = *verified;
  report->receipts = newer_receipts.size();
  absl::StatusOr<records::BackupManifest> manifest = ReadManifest(env, backup_dir, "");
  if (!manifest.ok()) return manifest.status();
  if (manifest->expires_at_unix_ms() != 0 &&
      now >= absl::FromUnixMillis(manifest->expires_at_unix_ms())) {
    return absl::FailedPreconditionError(
        Cat("the backup expired at ", Rfc3339Ms(manifest->expires_at_unix_ms()),
            ": its key object is destroyed (or due to be) and it cannot be restored"));
  }
  for (const records::ErasureReceipt& r : newer_receipts) {
    if (!VerifyReceipt(r, manifest->signing_public_key()).ok()) {
      return absl::PermissionDeniedError(
          Cat("receipt ", r.erasure_id(), " is not signed by this backup's vault"));
    }
  }
  if (live_state != nullptr && live_state->exported_at_unix_ms() < manifest->created_at_unix_ms()) {
    return absl::FailedPreconditionError(
        "the ledger file was exported before the backup was taken; export it again from the "
        "live vault (or restore with --no-newer-ledger)");
  }
  if (live_state != nullptr &&
      !crypto::VerifySignature(manifest->signing_public_key(), LiveStateMessage(*live_state),
                               live_state->signature())
           .ok()) {
    return absl::PermissionDeniedError("the live state is not signed by this backup's vault");
  }
  absl::StatusOr<base::FileInfo> target = env.Stat(data_dir);
  if (target.ok() && target->type != base::FileType::kMissing) {
    absl::StatusOr<std::vector<base::DirEntry>> entries =
        target->type == base::FileType::kDir ? env.ListDir(data_dir)
                                             : absl::StatusOr<std::vector<base::DirEntry>>(
                                                   absl::FailedPreconditionError("not a folder"));
    if (!entries.ok() || !entries->empty()) {
      return absl::FailedPreconditionError("restore target exists and is not an empty folder");
    }
  }
  const std::string partial = Cat(data_dir, ".partial");
  absl::StatusOr<base::FileInfo> leftover = env.Stat(partial);
  if (leftover.ok() && leftover->type != base::FileType::kMissing) {
    return absl::FailedPreconditionError(
        Cat(partial, " exists (an earlier failed restore?); remove it"));
  }
  return manifest;
}

// A tenant erasure replayed into the copy's keyring too: the tenant's keys
// are destroyed there (and an id created after the backup stays reserved).
void EraseTenantInKeyring(const records::ErasureReceipt& r, bool applied, records::Keyring* keyring,
                          RestoreReport* report) {
  bool erased_in_keyring = false;
  bool known = false;
  for (const records::TenantKeys& t : keyring->tenants()) {
    if (t.tenant() != r.tenant()) continue;
    known = true;
    if (t.erased()) erased_in_keyring = true;
  }
  if (!known) {
    // Created after the backup and erased since: keep the id reserved.
    records::TenantKeys* added = keyring->add_tenants();
    added->set_tenant(r.tenant());
  }
  if (!erased_in_keyring) {
    absl::Time shredded;
    std::string error;
    int64_t ms = absl::ParseTime(absl::RFC3339_full, r.shredded_at(), &shredded, &error)
                     ? absl::ToUnixMillis(shredded)
                     : 0;
    MarkTenantErased(keyring, r.tenant(), ms);
  }
  if (applied || !erased_in_keyring) {
    ++report->replayed_tenants;
  } else {
    ++report->already_in_backup;
  }
}

// Replays the receipts (and the live state) into the copied store at `db`
// and its keyring, then compacts so no erased bytes linger in table files.
absl::Status ReplayIntoCopy(const std::string& db,
                            const std::vector<records::ErasureReceipt>& newer_receipts,
                            const records::LiveState* live_state, records::Keyring* keyring,
                            RestoreReport* report) {
  storage::RocksKvOptions rocks;
  rocks.path = db;
  absl::StatusOr<std::unique_ptr<storage::KvStore>> kv = storage::OpenRocksKvStore(rocks);
  if (!kv.ok()) return kv.status();
  for (const records::ErasureReceipt& r : newer_receipts) {
    absl::StatusOr<bool> applied = ReplayErasureReceipt(**kv, r);
    if (!applied.ok()) return applied.status();
    if (r.subject().empty()) {
      EraseTenantInKeyring(r, *applied, keyring, report);
    } else if (*applied) {
      ++report->replayed_subjects;
    } else {
      ++report->already_in_backup;
    }
  }
  if (live_state != nullptr) {
    absl::StatusOr<LiveStateReport> live = ApplyLiveState(**kv, *live_state);
    if (!live.ok()) return live.status();
    report->live = *live;
    report->live_state_applied = true;
  }
  RETURN_IF_ERROR((*kv)->Flush());
  for (storage::Table table : {storage::Table::kSubjectKeys, storage::Table::kFields,
                               storage::Table::kBlindIndex, storage::Table::kTokens}) {
    RETURN_IF_ERROR((*kv)->CompactRange(table, "", ""));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<RestoreReport> RestoreBackup(
    const std::string& backup_dir, const std::string& data_dir,
    const std::vector<records::ErasureReceipt>& newer_receipts, absl::Time now,
    std::string_view public_key, const records::LiveState* live_state, base::Env& env) {
  RestoreReport report;
  absl::StatusOr<records::BackupManifest> manifest =
      CheckRestore(env, backup_dir, data_dir, newer_receipts, now, public_key, live_state, &report);
  if (!manifest.ok()) return manifest.status();
  const std::string partial = Cat(data_dir, ".partial");
  RETURN_IF_ERROR(PrepareDataDir(env, partial));
  auto fail = [&](absl::Status s) {
    (void)RemoveTree(env, partial);
    return s;
  };
  if (absl::Status s = CopyTree(env, Cat(backup_dir, "/db"), Cat(partial, "/db")); !s.ok()) {
    return fail(absl::UnavailableError(Cat("cannot copy the backup: ", s.message())));
  }
  absl::StatusOr<std::string> keyring_bytes =
      ReadWholeFile(env, Cat(backup_dir, "/", kKeyringName));
  records::Keyring keyring;
  if (!keyring_bytes.ok() || !keyring.ParseFromString(*keyring_bytes)) {
    return fail(absl::DataLossError("backup keyring is corrupt"));
  }
  if (absl::Status s =
          ReplayIntoCopy(Cat(partial, "/db"), newer_receipts, live_state, &keyring, &report);
      !s.ok()) {
    return fail(s);
  }
  // The backup's keyring keeps its audit anchor: it was copied together
  // with the store (under WithKeyring) and an anchor is written only after
  // its chain is durable, so the copied chain always reaches it. A restored
  // vault's chain is thus checked against the backup's anchor, not the
  // newer one of the folder it replaces.
  KeyringFile file(partial, &env);
  keyring.set_generation(keyring.generation() + 1);
  if (absl::Status s = file.Store(keyring); !s.ok()) return fail(s);
  if (absl::Status s = SyncTree(env, partial); !s.ok()) return fail(s);
  (void)env.Remove(data_dir);  // the empty folder, if any
  if (absl::Status s = env.Rename(partial, data_dir); !s.ok()) {
    return fail(absl::UnavailableError(Cat("cannot rename the restored folder: ", s.message())));
  }
  RETURN_IF_ERROR(env.SyncDir(ParentDir(data_dir)));
  return report;
}

}  // namespace vault
