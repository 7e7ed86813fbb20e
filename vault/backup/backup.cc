// Backup and verification. Every file goes through the vault's Env; the
// RocksDB checkpoint is RocksDB's own.
#include "vault/backup/backup.h"

#include <map>

#include "base/files.h"
#include "base/status.h"
#include "base/strings.h"
#include "crypto/hashing.h"
#include "vault/backup/internal/backup_files.h"
#include "vault/lifecycle/lifecycle.h"
#include "vault/storage/rocks_kv_store.h"

namespace vault {

using backup_internal::HashFile;
using backup_internal::kFormat;
using backup_internal::kKeyringName;
using backup_internal::kManifestName;
using backup_internal::ListFilesUnder;
using backup_internal::ReadManifest;
using backup_internal::ReadWholeFile;

namespace {

// The ledger entries the checkpoint at `db` holds (counted from the copy,
// not the live store).
absl::StatusOr<uint64_t> CountLedgerEntries(const std::string& db) {
  storage::RocksKvOptions rocks;
  rocks.path = db;
  absl::StatusOr<std::unique_ptr<storage::KvStore>> copy = storage::OpenRocksKvStore(rocks);
  if (!copy.ok()) return copy.status();
  absl::StatusOr<std::vector<records::ErasureRecord>> done = ListDoneErasures(**copy);
  if (!done.ok()) return done.status();
  return done->size();
}

// Lists every file now in `dir` with its size and hash, signs the list and
// writes it as the manifest.
absl::Status WriteManifest(KeyHierarchy& keys, const std::string& dir, BackupSummary* summary) {
  base::Env& env = keys.env();
  records::BackupManifest manifest;
  manifest.set_format(kFormat);
  manifest.set_created_at_unix_ms(summary->created_at_unix_ms);
  manifest.set_ledger_entries(summary->ledger_entries);
  manifest.set_expires_at_unix_ms(summary->expires_at_unix_ms);
  absl::StatusOr<std::string> public_key = keys.SigningPublicKey();
  if (!public_key.ok()) return public_key.status();
  manifest.set_signing_public_key(*public_key);
  absl::StatusOr<std::vector<std::string>> files = ListFilesUnder(env, dir);
  if (!files.ok()) return files.status();
  for (const std::string& rel : *files) {
    const std::string path = Cat(dir, "/", rel);
    absl::StatusOr<std::string> hash = HashFile(env, path);
    if (!hash.ok()) return hash.status();
    absl::StatusOr<base::FileInfo> info = env.Stat(path);
    records::BackupFile* f = manifest.add_files();
    f->set_path(rel);
    f->set_size(info.ok() ? info->size : 0);
    f->set_blake2b(*hash);
    summary->bytes += f->size();
  }
  summary->files = files->size();
  records::SignedBackupManifest signed_manifest;
  signed_manifest.set_manifest(manifest.SerializeAsString());
  absl::StatusOr<std::string> signature = keys.Sign(signed_manifest.manifest());
  if (!signature.ok()) return signature.status();
  signed_manifest.set_signature(*signature);
  return WritePrivateFile(env, Cat(dir, "/", kManifestName), signed_manifest.SerializeAsString());
}

}  // namespace

absl::StatusOr<BackupSummary> CreateBackup(KeyHierarchy& keys, storage::KvStore& kv,
                                           const std::string& dir, absl::Duration expires_in) {
  if (keys.sealed()) return SealedError();
  if (!keys.token_root() && expires_in != absl::ZeroDuration()) {
    return absl::FailedPreconditionError(
        "backups expire only with a PKCS#11 root (a file root's shares open every copy)");
  }
  base::Env& env = keys.env();
  absl::StatusOr<base::FileInfo> there = env.Stat(dir);
  if (there.ok() && there->type != base::FileType::kMissing) {
    return absl::FailedPreconditionError("backup folder already exists");
  }
  if (absl::Status s = env.CreateDir(dir, 0700); !s.ok()) {
    return absl::UnavailableError(Cat("cannot create backup folder: ", s.message()));
  }
  auto fail = [&](absl::Status s) {
    (void)RemoveTree(env, dir);
    return s;
  };
  BackupSummary summary;
  summary.path = dir;
  // The keyring cannot change while the checkpoint is made, so the copy's
  // wrapped data keys and the copied keyring belong together.
  std::string keyring_bytes;
  absl::Status made = keys.WithBackupKeyring(expires_in, [&](const records::Keyring& keyring) {
    keyring_bytes = keyring.SerializeAsString();
    summary.expires_at_unix_ms = keyring.backup_expires_at_unix_ms();
    return kv.CreateCheckpoint(Cat(dir, "/db"));
  });
  if (!made.ok()) return fail(made);
  if (absl::Status s = WritePrivateFile(env, Cat(dir, "/", kKeyringName), keyring_bytes); !s.ok()) {
    return fail(s);
  }
  absl::StatusOr<uint64_t> ledger_entries = CountLedgerEntries(Cat(dir, "/db"));
  if (!ledger_entries.ok()) return fail(ledger_entries.status());
  summary.ledger_entries = *ledger_entries;
  summary.created_at_unix_ms = absl::ToUnixMillis(keys.clock().Now());
  if (absl::Status s = WriteManifest(keys, dir, &summary); !s.ok()) return fail(s);
  if (absl::Status s = SyncTree(env, dir); !s.ok()) return fail(s);
  // The backup folder's own entry in the backup root, so a crash right
  // after the answer cannot lose the whole folder.
  if (absl::Status s = env.SyncDir(ParentDir(dir)); !s.ok()) return fail(s);
  return summary;
}

absl::StatusOr<BackupSummary> VerifyBackup(const std::string& dir, std::string_view public_key,
                                           base::Env& env) {
  absl::StatusOr<records::BackupManifest> manifest = ReadManifest(env, dir, public_key);
  if (!manifest.ok()) return manifest.status();
  absl::StatusOr<std::string> keyring_bytes = ReadWholeFile(env, Cat(dir, "/", kKeyringName));
  records::Keyring keyring;
  if (!keyring_bytes.ok() || !keyring.ParseFromString(*keyring_bytes)) {
    return absl::DataLossError("backup keyring is missing or corrupt");
  }
  if (keyring.signing_public_key() != manifest->signing_public_key()) {
    return absl::DataLossError("backup keyring belongs to another vault than the manifest");
  }
  absl::StatusOr<std::vector<std::string>> present = ListFilesUnder(env, dir);
  if (!present.ok()) return present.status();
  std::map<std::string, const records::BackupFile*> listed;
  for (const records::BackupFile& f : manifest->files()) listed[f.path()] = &f;
  BackupSummary summary;
  summary.path = dir;
  summary.created_at_unix_ms = manifest->created_at_unix_ms();
  summary.ledger_entries = manifest->ledger_entries();
  summary.expires_at_unix_ms = manifest->expires_at_unix_ms();
  for (const std::string& rel : *present) {
    if (rel == kManifestName) continue;
    if (listed.erase(rel) == 0) return absl::DataLossError(Cat("file not in the manifest: ", rel));
  }
  if (!listed.empty()) {
    return absl::DataLossError(Cat("file missing from the backup: ", listed.begin()->first));
  }
  for (const records::BackupFile& f : manifest->files()) {
    const std::string path = Cat(dir, "/", f.path());
    absl::StatusOr<base::FileInfo> info = env.Stat(path);
    if (!info.ok() || info->type != base::FileType::kFile || info->size != f.size()) {
      return absl::DataLossError(Cat("file size differs from the manifest: ", f.path()));
    }
    absl::StatusOr<std::string> hash = HashFile(env, path);
    if (!hash.ok()) return hash.status();
    if (!crypto::ConstantTimeEquals(*hash, f.blake2b())) {
      return absl::DataLossError(Cat("file content differs from the manifest: ", f.path()));
    }
    summary.bytes += f.size();
    ++summary.files;
  }
  return summary;
}

absl::Status ValidateBackupName(std::string_view name) {
  if (name.empty() || name.size() > 100 || name == "." || name == "..") {
    return absl::InvalidArgumentError("backup name must be 1-100 characters, not . or ..");
  }
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '_' || c == '.')) {
      return absl::InvalidArgumentError("backup name must be of A-Z a-z 0-9 . _ -");
    }
  }
  return absl::OkStatus();
}

}  // namespace vault
