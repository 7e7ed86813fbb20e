// The backup folder's layout and the file work shared by CreateBackup,
// VerifyBackup (backup.cc) and RestoreBackup (restore.cc), all through an
// Env.
// Thread-safety: functions over the Env.
#ifndef VAULT_INTERNAL_BACKUP
#error "vault/backup/internal/ is private to vault_backup; include vault/backup/backup.h"
#endif
#ifndef VAULT_BACKUP_INTERNAL_BACKUP_FILES_H_
#define VAULT_BACKUP_INTERNAL_BACKUP_FILES_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "base/env.h"
#include "vault/model/records.pb.h"

namespace vault::backup_internal {

inline constexpr char kFormat[] = "vaultd-backup-v1";
inline constexpr char kManifestName[] = "manifest";
inline constexpr char kKeyringName[] = "keyring";

// The whole file; NOT_FOUND when it is missing or unreadable.
[[nodiscard]] absl::StatusOr<std::string> ReadWholeFile(base::Env& env, const std::string& path);

// Every regular file under `root`, relative ("db/CURRENT"), sorted; DATA_LOSS
// for anything else (a symlink, a device).
[[nodiscard]] absl::StatusOr<std::vector<std::string>> ListFilesUnder(base::Env& env,
                                                                      const std::string& root);

// BLAKE2b-256 of the file, read in chunks. NOT_FOUND / UNAVAILABLE when it
// cannot be read.
[[nodiscard]] absl::StatusOr<std::string> HashFile(base::Env& env, const std::string& path);

// The backup's manifest, its signature checked under `public_key` (raw 32
// bytes) or, when empty, under the key the manifest names.
[[nodiscard]] absl::StatusOr<records::BackupManifest> ReadManifest(base::Env& env,
                                                                   const std::string& dir,
                                                                   std::string_view public_key);

}  // namespace vault::backup_internal

#endif  // VAULT_BACKUP_INTERNAL_BACKUP_FILES_H_
