// Private files and folders: what the vault writes outside RocksDB and the
// keyring (dev key files, backups, exported shares) is created owner-only.
// Thread-safety: pure functions over the file system.
#ifndef VAULT_BASE_FILES_H_
#define VAULT_BASE_FILES_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace vault {

// Creates or replaces `path` with mode 0600 and `contents`, fsynced.
[[nodiscard]] absl::Status WritePrivateFile(const std::string& path, std::string_view contents);

// Creates `dir` with mode 0700 if missing; FAILED_PRECONDITION when it exists
// and group or others have any access to it.
[[nodiscard]] absl::Status PrepareDataDir(const std::string& dir);

}  // namespace vault

#endif  // VAULT_BASE_FILES_H_
