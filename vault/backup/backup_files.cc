// Backup folder file work over an Env (see internal/backup_files.h).
#include "vault/backup/internal/backup_files.h"

#include <algorithm>
#include <memory>

#include "base/status.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "crypto/hashing.h"
#include "crypto/signing.h"

namespace vault::backup_internal {
namespace {

absl::Status ListInto(base::Env& env, const std::string& root, const std::string& rel,
                      std::vector<std::string>* out) {
  const std::string dir = rel.empty() ? root : Cat(root, "/", rel);
  absl::StatusOr<std::vector<base::DirEntry>> entries = env.ListDir(dir);
  if (!entries.ok()) {
    return absl::UnavailableError(Cat("cannot list ", root, ": ", entries.status().message()));
  }
  for (const base::DirEntry& e : *entries) {
    const std::string child = rel.empty() ? e.name : Cat(rel, "/", e.name);
    if (e.type == base::FileType::kDir) {
      RETURN_IF_ERROR(ListInto(env, root, child, out));
    } else if (e.type == base::FileType::kFile) {
      out->push_back(child);
    } else {
      return absl::DataLossError(Cat("unexpected non-file in backup: ", child));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> ReadWholeFile(base::Env& env, const std::string& path) {
  absl::StatusOr<std::optional<std::string>> bytes = env.ReadFile(path);
  if (!bytes.ok() || !bytes->has_value()) return absl::NotFoundError(Cat("cannot read ", path));
  return std::move(**bytes);
}

absl::StatusOr<std::vector<std::string>> ListFilesUnder(base::Env& env, const std::string& root) {
  std::vector<std::string> out;
  RETURN_IF_ERROR(ListInto(env, root, "", &out));
  std::sort(out.begin(), out.end());
  return out;
}

absl::StatusOr<std::string> HashFile(base::Env& env, const std::string& path) {
  absl::StatusOr<std::unique_ptr<base::SequentialFile>> file = env.OpenForRead(path);
  if (!file.ok()) {
    if (absl::IsNotFound(file.status())) return absl::NotFoundError(Cat("cannot open ", path));
    return absl::UnavailableError(Cat("cannot read ", path, ": ", file.status().message()));
  }
  absl::StatusOr<crypto::Blake2bHasher> hasher = crypto::Blake2bHasher::Create(32);
  if (!hasher.ok()) return hasher.status();
  std::string buffer(1 << 16, '\0');
  for (;;) {
    absl::StatusOr<size_t> n = (*file)->Read(buffer.data(), buffer.size());
    if (!n.ok()) return absl::UnavailableError(Cat("cannot read ", path));
    if (*n == 0) break;
    hasher->Update(std::string_view(buffer.data(), *n));
  }
  return hasher->Finish();
}

absl::StatusOr<records::BackupManifest> ReadManifest(base::Env& env, const std::string& dir,
                                                     std::string_view public_key) {
  absl::StatusOr<std::string> raw = ReadWholeFile(env, Cat(dir, "/", kManifestName));
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

}  // namespace vault::backup_internal
