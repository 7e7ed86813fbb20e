// Env: the file operations the vault does outside RocksDB (the keyring slots
// first), behind an interface so tests can inject short writes and failed
// syncs. Errors are UNAVAILABLE with the operation and strerror; a missing
// file is not an error for ReadFile (nullopt).
// Thread-safety: Env implementations are safe for concurrent use; one
// RandomWriteFile is used by one thread at a time.
#ifndef VAULT_BASE_ENV_H_
#define VAULT_BASE_ENV_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace vault::base {

// A file written in place at chosen offsets (never truncated).
class RandomWriteFile {
 public:
  virtual ~RandomWriteFile() = default;
  // The file's size in bytes when it was opened.
  virtual uint64_t size_at_open() const = 0;
  // Writes at most `data.size()` bytes at `offset`; returns how many were
  // written (at least 1 on success: a short write is not an error).
  [[nodiscard]] virtual absl::StatusOr<size_t> WriteAt(uint64_t offset, std::string_view data) = 0;
  // Makes everything written so far durable (fsync).
  [[nodiscard]] virtual absl::Status Sync() = 0;
};

class Env {
 public:
  virtual ~Env() = default;
  // The whole file, or nullopt when it does not exist.
  [[nodiscard]] virtual absl::StatusOr<std::optional<std::string>> ReadFile(
      const std::string& path) = 0;
  // Opens `path` for writing in place, creating it (mode 0600) if absent.
  [[nodiscard]] virtual absl::StatusOr<std::unique_ptr<RandomWriteFile>> OpenForOverwrite(
      const std::string& path) = 0;
  // fsyncs the directory itself (after creating a file in it).
  [[nodiscard]] virtual absl::Status SyncDir(const std::string& dir) = 0;

  // The real file system (POSIX calls; EINTR retried).
  static Env& Posix();
};

// Writes all of `data` at `offset`, looping over short writes.
[[nodiscard]] absl::Status WriteFully(RandomWriteFile& file, uint64_t offset,
                                      std::string_view data);

}  // namespace vault::base

#endif  // VAULT_BASE_ENV_H_
