// Backup, verification and restore.
#include "vault/backup.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "crypto/hashing.h"
#include "crypto/signing.h"
#include "vault/key_hierarchy.h"
#include "vault/keyring_file.h"
#include "vault/lifecycle.h"
#include "vault/status.h"
#include "vault/storage/rocks_kv_store.h"
#include "vault/strings.h"
#include "vault/vault.h"  // PrepareDataDir, WritePrivateFile

namespace vault {
namespace {

namespace fs = std::filesystem;

constexpr char kFormat[] = "vaultd-backup-v1";
constexpr char kManifestName[] = "manifest";
constexpr char kKeyringName[] = "keyring";

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(Cat("cannot read ", path));
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Every regular file under `root`, relative, sorted; anything else is an error.
absl::StatusOr<std::vector<std::string>> ListFilesUnder(const std::string& root) {
  std::vector<std::string> out;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_directory()) continue;
    if (!it->is_regular_file() || it->is_symlink()) {
      return absl::DataLossError(Cat("unexpected non-file in backup: ",
                                     fs::relative(it->path(), root).string()));
    }
    out.push_back(fs::relative(it->path(), root).generic_string());
  }
  if (ec) return absl::UnavailableError(Cat("cannot list ", root, ": ", ec.message()));
  std::sort(out.begin(), out.end());
  return out;
}

absl::Status FsyncPath(const std::string& path, bool directory) {
  int fd = ::open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) return absl::UnavailableError(Cat("cannot open ", path));
  const bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok ? absl::OkStatus() : absl::UnavailableError(Cat("cannot fsync ", path));
}

// fsyncs every file and folder under `root`, then `root` itself.
absl::Status FsyncTree(const std::string& root) {
  std::error_code ec;
  for (fs::recursive_directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    if (absl::Status s = FsyncPath(it->path().string(), it->is_directory()); !s.ok()) return s;
  }
  if (ec) return absl::UnavailableError(Cat("cannot list ", root));
  return FsyncPath(root, true);
}

absl::StatusOr<records::BackupManifest> ReadManifest(const std::string& dir,
                                                     std::string_view public_key) {
  absl::StatusOr<std::string> raw = ReadWholeFile(Cat(dir, "/", kManifestName));
  if (!raw.ok()) return absl::NotFoundError("not a backup folder: no manifest");
  records::SignedBackupManifest signed_manifest;
  records::BackupManifest manifest;
  if (!signed_manifest.ParseFromString(*raw) ||
      !manifest.ParseFromString(signed_manifest.manifest()) || manifest.format() != kFormat) {
    return absl::DataLossError("backup manifest is corrupt or of an unknown format");
  }
  const std::string key =
      public_key.empty() ? manifest.signing_public_key() : std::string(public_key);
  if (!crypto::VerifySignature(key, signed_manifest.manifest(), signed_manifest.signature()).ok()) {
    return absl::DataLossError("backup manifest signature does not verify");
  }
  return manifest;
}

}  // namespace

absl::StatusOr<BackupSummary> CreateBackup(KeyHierarchy& keys, storage::KvStore& kv,
                                           const std::string& dir) {
  if (keys.sealed()) return SealedError();
  std::error_code ec;
  if (fs::exists(dir, ec)) return absl::FailedPreconditionError("backup folder already exists");
  if (::mkdir(dir.c_str(), 0700) != 0) {
    return absl::UnavailableError(Cat("cannot create backup folder: ", std::strerror(errno)));
  }
  auto fail = [&](absl::Status s) {
    fs::remove_all(dir, ec);
    return s;
  };
  BackupSummary summary;
  summary.path = dir;
  // The keyring cannot change while the checkpoint is made, so the copy's
  // wrapped data keys and the copied keyring belong together.
  std::string keyring_bytes;
  absl::Status made = keys.WithKeyring([&](const records::Keyring& keyring) {
    keyring_bytes = keyring.SerializeAsString();
    return kv.CreateCheckpoint(Cat(dir, "/db"));
  });
  if (!made.ok()) return fail(made);
  if (absl::Status s = WritePrivateFile(Cat(dir, "/", kKeyringName), keyring_bytes); !s.ok()) {
    return fail(s);
  }

  // The ledger as the copy holds it (counted from the copy, not the live store).
  {
    storage::RocksKvOptions rocks;
    rocks.path = Cat(dir, "/db");
    absl::StatusOr<std::unique_ptr<storage::KvStore>> copy = storage::OpenRocksKvStore(rocks);
    if (!copy.ok()) return fail(copy.status());
    absl::StatusOr<std::vector<records::ErasureRecord>> done = ListDoneErasures(**copy);
    if (!done.ok()) return fail(done.status());
    summary.ledger_entries = done->size();
  }

  records::BackupManifest manifest;
  manifest.set_format(kFormat);
  summary.created_at_unix_ms = absl::ToUnixMillis(absl::Now());
  manifest.set_created_at_unix_ms(summary.created_at_unix_ms);
  manifest.set_ledger_entries(summary.ledger_entries);
  absl::StatusOr<std::string> public_key = keys.SigningPublicKey();
  if (!public_key.ok()) return fail(public_key.status());
  manifest.set_signing_public_key(*public_key);
  absl::StatusOr<std::vector<std::string>> files = ListFilesUnder(dir);
  if (!files.ok()) return fail(files.status());
  for (const std::string& rel : *files) {
    const std::string path = Cat(dir, "/", rel);
    absl::StatusOr<std::string> hash = crypto::Blake2bFile(path);
    if (!hash.ok()) return fail(hash.status());
    records::BackupFile* f = manifest.add_files();
    f->set_path(rel);
    f->set_size(fs::file_size(path, ec));
    f->set_blake2b(*hash);
    summary.bytes += f->size();
  }
  summary.files = files->size();
  records::SignedBackupManifest signed_manifest;
  signed_manifest.set_manifest(manifest.SerializeAsString());
  absl::StatusOr<std::string> signature = keys.Sign(signed_manifest.manifest());
  if (!signature.ok()) return fail(signature.status());
  signed_manifest.set_signature(*signature);
  if (absl::Status s = WritePrivateFile(Cat(dir, "/", kManifestName),
                                        signed_manifest.SerializeAsString());
      !s.ok()) {
    return fail(s);
  }
  if (absl::Status s = FsyncTree(dir); !s.ok()) return fail(s);
  return summary;
}

absl::StatusOr<BackupSummary> VerifyBackup(const std::string& dir, std::string_view public_key) {
  absl::StatusOr<records::BackupManifest> manifest = ReadManifest(dir, public_key);
  if (!manifest.ok()) return manifest.status();
  absl::StatusOr<std::string> keyring_bytes = ReadWholeFile(Cat(dir, "/", kKeyringName));
  records::Keyring keyring;
  if (!keyring_bytes.ok() || !keyring.ParseFromString(*keyring_bytes)) {
    return absl::DataLossError("backup keyring is missing or corrupt");
  }
  if (keyring.signing_public_key() != manifest->signing_public_key()) {
    return absl::DataLossError("backup keyring belongs to another vault than the manifest");
  }
  absl::StatusOr<std::vector<std::string>> present = ListFilesUnder(dir);
  if (!present.ok()) return present.status();
  std::map<std::string, const records::BackupFile*> listed;
  for (const records::BackupFile& f : manifest->files()) listed[f.path()] = &f;
  BackupSummary summary;
  summary.path = dir;
  summary.created_at_unix_ms = manifest->created_at_unix_ms();
  summary.ledger_entries = manifest->ledger_entries();
  for (const std::string& rel : *present) {
    if (rel == kManifestName) continue;
    if (listed.erase(rel) == 0) return absl::DataLossError(Cat("file not in the manifest: ", rel));
  }
  if (!listed.empty()) {
    return absl::DataLossError(Cat("file missing from the backup: ", listed.begin()->first));
  }
  for (const records::BackupFile& f : manifest->files()) {
    const std::string path = Cat(dir, "/", f.path());
    std::error_code ec;
    if (fs::file_size(path, ec) != f.size() || ec) {
      return absl::DataLossError(Cat("file size differs from the manifest: ", f.path()));
    }
    absl::StatusOr<std::string> hash = crypto::Blake2bFile(path);
    if (!hash.ok()) return hash.status();
    if (!crypto::ConstantTimeEquals(*hash, f.blake2b())) {
      return absl::DataLossError(Cat("file content differs from the manifest: ", f.path()));
    }
    summary.bytes += f.size();
    ++summary.files;
  }
  return summary;
}

absl::StatusOr<RestoreReport> RestoreBackup(
    const std::string& backup_dir, const std::string& data_dir,
    const std::vector<records::ErasureReceipt>& newer_receipts) {
  RestoreReport report;
  absl::StatusOr<BackupSummary> verified = VerifyBackup(backup_dir);
  if (!verified.ok()) return verified.status();
  report.backup = *verified;
  report.receipts = newer_receipts.size();
  absl::StatusOr<records::BackupManifest> manifest = ReadManifest(backup_dir, "");
  if (!manifest.ok()) return manifest.status();
  for (const records::ErasureReceipt& r : newer_receipts) {
    if (!VerifyReceipt(r, manifest->signing_public_key()).ok()) {
      return absl::PermissionDeniedError(
          Cat("receipt ", r.erasure_id(), " is not signed by this backup's vault"));
    }
  }
  std::error_code ec;
  if (fs::exists(data_dir, ec) && !(fs::is_directory(data_dir, ec) && fs::is_empty(data_dir, ec))) {
    return absl::FailedPreconditionError("restore target exists and is not an empty folder");
  }
  const std::string partial = Cat(data_dir, ".partial");
  if (fs::exists(partial, ec)) {
    return absl::FailedPreconditionError(Cat(partial, " exists (an earlier failed restore?); remove it"));
  }
  if (absl::Status s = PrepareDataDir(partial); !s.ok()) return s;
  auto fail = [&](absl::Status s) {
    fs::remove_all(partial, ec);
    return s;
  };
  fs::copy(Cat(backup_dir, "/db"), Cat(partial, "/db"), fs::copy_options::recursive, ec);
  if (ec) return fail(absl::UnavailableError(Cat("cannot copy the backup: ", ec.message())));

  absl::StatusOr<std::string> keyring_bytes = ReadWholeFile(Cat(backup_dir, "/", kKeyringName));
  records::Keyring keyring;
  if (!keyring_bytes.ok() || !keyring.ParseFromString(*keyring_bytes)) {
    return fail(absl::DataLossError("backup keyring is corrupt"));
  }
  {
    storage::RocksKvOptions rocks;
    rocks.path = Cat(partial, "/db");
    absl::StatusOr<std::unique_ptr<storage::KvStore>> kv = storage::OpenRocksKvStore(rocks);
    if (!kv.ok()) return fail(kv.status());
    for (const records::ErasureReceipt& r : newer_receipts) {
      absl::StatusOr<bool> applied = ReplayErasureReceipt(**kv, r);
      if (!applied.ok()) return fail(applied.status());
      if (r.subject().empty()) {
        // The keyring of the copy must forget the tenant too.
        bool erased_in_keyring = false;
        for (const records::TenantKeys& t : keyring.tenants()) {
          if (t.tenant() == r.tenant() && t.erased()) erased_in_keyring = true;
        }
        if (!erased_in_keyring) {
          absl::Time shredded;
          std::string error;
          int64_t ms = absl::ParseTime(absl::RFC3339_full, r.shredded_at(), &shredded, &error)
                           ? absl::ToUnixMillis(shredded)
                           : 0;
          MarkTenantErased(&keyring, r.tenant(), ms);
        }
        if (*applied || !erased_in_keyring) ++report.replayed_tenants;
        else ++report.already_in_backup;
      } else if (*applied) {
        ++report.replayed_subjects;
      } else {
        ++report.already_in_backup;
      }
    }
    if (absl::Status s = (*kv)->Flush(); !s.ok()) return fail(s);
    for (storage::Table table : {storage::Table::kSubjectKeys, storage::Table::kFields,
                                 storage::Table::kBlindIndex, storage::Table::kTokens}) {
      if (absl::Status s = (*kv)->CompactRange(table, "", ""); !s.ok()) return fail(s);
    }
  }
  KeyringFile file(partial);
  keyring.set_generation(keyring.generation() + 1);
  if (absl::Status s = file.Store(keyring); !s.ok()) return fail(s);
  if (absl::Status s = FsyncTree(partial); !s.ok()) return fail(s);
  if (fs::exists(data_dir, ec)) fs::remove(data_dir, ec);  // the empty folder
  fs::rename(partial, data_dir, ec);
  if (ec) return fail(absl::UnavailableError(Cat("cannot rename the restored folder: ", ec.message())));
  const std::string parent = fs::path(data_dir).parent_path().string();
  if (absl::Status s = FsyncPath(parent.empty() ? "." : parent, true); !s.ok()) return s;
  return report;
}

}  // namespace vault
