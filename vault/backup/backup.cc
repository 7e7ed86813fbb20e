// Backup, verification and restore.
#include "vault/backup/backup.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "crypto/encoding.h"
#include "crypto/hashing.h"
#include "crypto/signing.h"
#include "vault/keys/key_hierarchy.h"
#include "vault/keys/keyring_file.h"
#include "vault/lifecycle/lifecycle.h"
#include "vault/model/record_keys.h"
#include "base/status.h"
#include "vault/storage/rocks_kv_store.h"
#include "base/strings.h"
#include "base/files.h"

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
    const std::vector<records::ErasureReceipt>& newer_receipts, std::string_view public_key,
    const records::LiveState* live_state) {
  RestoreReport report;
  absl::StatusOr<BackupSummary> verified = VerifyBackup(backup_dir, public_key);
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
  if (live_state != nullptr &&
      live_state->exported_at_unix_ms() < manifest->created_at_unix_ms()) {
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
        bool known = false;
        for (const records::TenantKeys& t : keyring.tenants()) known = known || t.tenant() == r.tenant();
        if (!known) {
          // Created after the backup and erased since: keep the id reserved.
          records::TenantKeys* added = keyring.add_tenants();
          added->set_tenant(r.tenant());
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
    if (live_state != nullptr) {
      absl::StatusOr<LiveStateReport> live = ApplyLiveState(**kv, *live_state);
      if (!live.ok()) return fail(live.status());
      report.live = *live;
      report.live_state_applied = true;
    }
    if (absl::Status s = (*kv)->Flush(); !s.ok()) return fail(s);
    for (storage::Table table : {storage::Table::kSubjectKeys, storage::Table::kFields,
                                 storage::Table::kBlindIndex, storage::Table::kTokens}) {
      if (absl::Status s = (*kv)->CompactRange(table, "", ""); !s.ok()) return fail(s);
    }
  }
  // The backup's keyring keeps its audit anchor: it was copied together
  // with the store (under WithKeyring) and an anchor is written only after
  // its chain is durable, so the copied chain always reaches it. A restored
  // vault's chain is thus checked against the backup's anchor, not the
  // newer one of the folder it replaces.
  KeyringFile file(partial, &base::Env::Posix());
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

namespace vault {

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

namespace vault {
namespace {

const std::string_view kNul("\0", 1);

}  // namespace

std::string LiveStateMessage(const records::LiveState& state) {
  std::vector<std::string> lines;
  for (const records::ErasureRecord& e : state.erasures()) {
    lines.push_back(Cat("erasure\t", e.erasure_id(), "\t", e.tenant(), "\t", e.subject(), "\t",
                        e.state(), "\t", e.due_at_unix_ms(), "\t", e.requested_at_unix_ms(), "\t", e.principal()));
  }
  for (const records::LiveState::Hold& h : state.holds()) {
    lines.push_back(Cat("hold\t", h.tenant(), "\t", h.subject(), "\t", h.hold_id(), "\t",
                        crypto::Base64Encode(h.reason()), "\t", h.created_at_unix_ms()));
  }
  for (const std::string& id : state.principal_ids()) lines.push_back(Cat("principal\t", id));
  std::sort(lines.begin(), lines.end());
  std::string out = Cat("vaultd-live-state-v1\n", state.exported_at_unix_ms());
  for (const std::string& line : lines) out += Cat("\n", line);
  return out;
}

absl::StatusOr<records::LiveState> CaptureLiveState(KeyHierarchy& keys, storage::KvStore& kv,
                                                    int64_t now_ms) {
  records::LiveState state;
  state.set_exported_at_unix_ms(now_ms);
  std::shared_ptr<const storage::Snapshot> snapshot = kv.GetSnapshot();
  absl::Status bad;
  absl::Status s = kv.ScanPrefix(
      storage::Table::kLedger, ErasureKey(""),
      [&](std::string_view, std::string_view value) {
        records::ErasureRecord e;
        if (!e.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          bad = absl::DataLossError("erasure record is corrupt");
          return false;
        }
        if (e.state() != "done") *state.add_erasures() = std::move(e);
        return true;
      },
      snapshot.get());
  if (!s.ok()) return s;
  const std::string hold_prefix = Cat("hold", kNul);
  s = kv.ScanPrefix(
      storage::Table::kLedger, hold_prefix,
      [&](std::string_view key, std::string_view value) {
        // hold \0 tenant \0 subject \0 hold_id
        std::string_view rest = key.substr(hold_prefix.size());
        const size_t a = rest.find('\0');
        const size_t b = a == std::string_view::npos ? a : rest.find('\0', a + 1);
        records::HoldRecord h;
        if (b == std::string_view::npos ||
            !h.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          bad = absl::DataLossError("hold record is corrupt");
          return false;
        }
        records::LiveState::Hold* out = state.add_holds();
        out->set_tenant(std::string(rest.substr(0, a)));
        out->set_subject(std::string(rest.substr(a + 1, b - a - 1)));
        out->set_hold_id(std::string(rest.substr(b + 1)));
        out->set_reason(h.reason());
        out->set_created_at_unix_ms(h.created_at_unix_ms());
        return true;
      },
      snapshot.get());
  if (!s.ok()) return s;
  const std::string principal_prefix = Cat("principal", kNul);
  s = kv.ScanPrefix(
      storage::Table::kMeta, principal_prefix,
      [&](std::string_view key, std::string_view) {
        state.add_principal_ids(std::string(key.substr(principal_prefix.size())));
        return true;
      },
      snapshot.get());
  if (!s.ok()) return s;
  if (!bad.ok()) return bad;
  absl::StatusOr<std::string> signature = keys.Sign(LiveStateMessage(state));
  if (!signature.ok()) return signature.status();
  state.set_signature(*signature);
  return state;
}

absl::StatusOr<LiveStateReport> ApplyLiveState(storage::KvStore& kv, const records::LiveState& state) {
  LiveStateReport report;
  storage::WriteBatch batch;
  // Erasures: cancel what was cancelled since; re-create what was requested
  // since (for subjects the copy still holds).
  // Cancellations first, then requests: a subject whose erasure was
  // cancelled and requested again ends with the new one in its index.
  for (const records::ErasureRecord& live : state.erasures()) {
    if (live.state() != "cancelled") continue;
    absl::StatusOr<std::string> stored = kv.Get(storage::Table::kLedger, ErasureKey(live.erasure_id()));
    if (!stored.ok()) continue;
    records::ErasureRecord copy;
    if (!copy.ParseFromString(*stored)) return absl::DataLossError("erasure record is corrupt");
    if (copy.state() != "pending") continue;
    batch.Delete(storage::Table::kLedger, PendingKey(copy.due_at_unix_ms(), copy.erasure_id()));
    absl::StatusOr<std::string> indexed =
        kv.Get(storage::Table::kLedger, SubjectErasureKey(copy.tenant(), copy.subject()));
    if (indexed.ok() && *indexed == copy.erasure_id()) {
      batch.Delete(storage::Table::kLedger, SubjectErasureKey(copy.tenant(), copy.subject()));
    }
    batch.Put(storage::Table::kLedger, ErasureKey(live.erasure_id()), live.SerializeAsString());
    ++report.erasures_cancelled;
  }
  for (const records::ErasureRecord& live : state.erasures()) {
    if (live.state() != "pending") continue;
    absl::StatusOr<std::string> stored = kv.Get(storage::Table::kLedger, ErasureKey(live.erasure_id()));
    if (stored.ok()) continue;  // the copy has it already
    if (!absl::IsNotFound(stored.status())) return stored.status();
    const bool has_key =
        kv.Get(storage::Table::kSubjectKeys, SubjectKey(live.tenant(), live.subject())).ok();
    if (!has_key) continue;  // the copy does not hold the subject
    batch.Put(storage::Table::kLedger, ErasureKey(live.erasure_id()), live.SerializeAsString());
    batch.Put(storage::Table::kLedger, PendingKey(live.due_at_unix_ms(), live.erasure_id()), "");
    batch.Put(storage::Table::kLedger, SubjectErasureKey(live.tenant(), live.subject()),
              live.erasure_id());
    ++report.erasures_requested;
  }
  // Holds: exactly the live ones.
  absl::Status s = kv.ScanPrefix(storage::Table::kLedger, Cat("hold", kNul),
                                 [&](std::string_view key, std::string_view) {
                                   batch.Delete(storage::Table::kLedger, key);
                                   return true;
                                 });
  if (!s.ok()) return s;
  for (const records::LiveState::Hold& h : state.holds()) {
    records::HoldRecord record;
    record.set_hold_id(h.hold_id());
    record.set_reason(h.reason());
    record.set_created_at_unix_ms(h.created_at_unix_ms());
    batch.Put(storage::Table::kLedger, HoldKey(h.tenant(), h.subject(), h.hold_id()),
              record.SerializeAsString());
  }
  report.holds = static_cast<uint64_t>(state.holds_size());
  // Principals: those deleted since are deleted here too (with their key).
  std::set<std::string> live_ids(state.principal_ids().begin(), state.principal_ids().end());
  const std::string principal_prefix = Cat("principal", kNul);
  s = kv.ScanPrefix(storage::Table::kMeta, principal_prefix,
                    [&](std::string_view key, std::string_view value) {
                      const std::string id(key.substr(principal_prefix.size()));
                      if (live_ids.count(id) != 0) return true;
                      records::PrincipalRecord p;
                      if (p.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
                        batch.Delete(storage::Table::kMeta, key);
                        batch.Delete(storage::Table::kMeta,
                                     Cat("principal-name", kNul, p.tenant(), kNul, p.name()));
                        batch.Delete(storage::Table::kMeta, Cat("apikey", kNul, p.api_key_hash()));
                        ++report.principals_removed;
                      }
                      return true;
                    });
  if (!s.ok()) return s;
  if (absl::Status w = kv.Write(batch); !w.ok()) return w;
  return report;
}

}  // namespace vault
