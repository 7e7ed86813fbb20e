// Private files and folders, over an Env: what the vault writes outside
// RocksDB and the keyring (dev key files, backups, exported shares) is
// created owner-only, and a file is replaced whole or not at all.
// Thread-safety: functions over the file system; as safe as the Env.
#ifndef VAULT_BASE_FILES_H_
#define VAULT_BASE_FILES_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "base/env.h"

namespace vault {

enum class IfExists { kReplace, kFail };

// Writes `contents` to a fresh `path`.tmp (mode 0600), fsyncs it, renames
// it to `path` and fsyncs the folder: readers see the old file or the whole
// new one, never a part. kFail: ALREADY_EXISTS when `path` exists, and on
// any error nothing is left at `path`. On error the temporary is removed.
[[nodiscard]] absl::Status WritePrivateFile(base::Env& env, const std::string& path,
                                            std::string_view contents,
                                            IfExists if_exists = IfExists::kReplace);

// Creates `dir` with mode 0700 if missing; FAILED_PRECONDITION when it exists
// and group or others have any access to it.
[[nodiscard]] absl::Status PrepareDataDir(base::Env& env, const std::string& dir);

// Removes `path` and, if a folder, everything under it (symlinks are
// removed, never followed). OK when there is nothing at `path`.
[[nodiscard]] absl::Status RemoveTree(base::Env& env, const std::string& path);

// Copies the folder `from` to the new folder `to` (0700 folders, 0600
// files, fsynced); INVALID_ARGUMENT for anything but files and folders.
[[nodiscard]] absl::Status CopyTree(base::Env& env, const std::string& from, const std::string& to);

// fsyncs every file and folder under `root`, then `root` itself.
[[nodiscard]] absl::Status SyncTree(base::Env& env, const std::string& root);

// The folder holding `path` ("." for a bare name).
std::string ParentDir(const std::string& path);

}  // namespace vault

#endif  // VAULT_BASE_FILES_H_
