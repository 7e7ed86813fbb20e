// Env: every file operation the vault does outside RocksDB (keyring slots,
// the dev key and root-API-key files, backups and restores), behind an
// interface so tests can inject short writes, failed writes and failed
// syncs. Errors are UNAVAILABLE with the operation and strerror unless a
// method says otherwise; a missing file is not an error for ReadFile
// (nullopt) or Stat (FileType::kMissing).
// EnvWrapper forwards every call to another Env (base for fault injectors).
// Thread-safety: Env implementations are safe for concurrent use; one
// RandomWriteFile or SequentialFile is used by one thread at a time.
#ifndef VAULT_BASE_ENV_H_
#define VAULT_BASE_ENV_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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

// A file read from start to end.
class SequentialFile {
 public:
  virtual ~SequentialFile() = default;
  // Reads at most `n` bytes into `buf`; returns how many (0 at the end).
  [[nodiscard]] virtual absl::StatusOr<size_t> Read(char* buf, size_t n) = 0;
};

enum class FileType { kMissing, kFile, kDir, kSymlink, kOther };

struct FileInfo {
  FileType type = FileType::kMissing;
  uint64_t size = 0;
  uint32_t mode = 0;  // permission bits (07777)
};

struct DirEntry {
  std::string name;
  FileType type = FileType::kOther;  // of the entry itself: a symlink is kSymlink
};

class Env {
 public:
  virtual ~Env() = default;
  // The whole file, or nullopt when it does not exist.
  [[nodiscard]] virtual absl::StatusOr<std::optional<std::string>> ReadFile(
      const std::string& path) = 0;
  // Opens `path` for reading; NOT_FOUND when it does not exist.
  [[nodiscard]] virtual absl::StatusOr<std::unique_ptr<SequentialFile>> OpenForRead(
      const std::string& path) = 0;
  // Opens `path` for writing in place, creating it (mode 0600) if absent.
  // Never follows a symlink at `path`.
  [[nodiscard]] virtual absl::StatusOr<std::unique_ptr<RandomWriteFile>> OpenForOverwrite(
      const std::string& path) = 0;
  // fsyncs the directory itself (after creating a file in it).
  [[nodiscard]] virtual absl::Status SyncDir(const std::string& dir) = 0;
  // fsyncs the file at `path` (written by someone else, e.g. a checkpoint).
  [[nodiscard]] virtual absl::Status SyncFile(const std::string& path) = 0;
  // What `path` is (following symlinks); kMissing when it does not exist.
  [[nodiscard]] virtual absl::StatusOr<FileInfo> Stat(const std::string& path) = 0;
  // The entries of `dir` (not . and ..), sorted by name.
  [[nodiscard]] virtual absl::StatusOr<std::vector<DirEntry>> ListDir(const std::string& dir) = 0;
  // Creates the folder `dir` with `mode`; ALREADY_EXISTS when something is there.
  [[nodiscard]] virtual absl::Status CreateDir(const std::string& dir, uint32_t mode) = 0;
  // Renames `from` to `to`, atomically replacing a file at `to`.
  [[nodiscard]] virtual absl::Status Rename(const std::string& from, const std::string& to) = 0;
  // As Rename, but ALREADY_EXISTS (and nothing changes) when `to` exists.
  [[nodiscard]] virtual absl::Status RenameNoReplace(const std::string& from,
                                                     const std::string& to) = 0;
  // Removes a file or an empty folder; NOT_FOUND when there is none.
  [[nodiscard]] virtual absl::Status Remove(const std::string& path) = 0;

  // The real file system (POSIX calls; EINTR retried).
  static Env& Posix();
};

// Forwards every call to `target` (not owned). Override what you change.
class EnvWrapper : public Env {
 public:
  explicit EnvWrapper(Env* target) : target_(target) {}
  Env* target() const { return target_; }

  absl::StatusOr<std::optional<std::string>> ReadFile(const std::string& path) override {
    return target_->ReadFile(path);
  }
  absl::StatusOr<std::unique_ptr<SequentialFile>> OpenForRead(const std::string& path) override {
    return target_->OpenForRead(path);
  }
  absl::StatusOr<std::unique_ptr<RandomWriteFile>> OpenForOverwrite(
      const std::string& path) override {
    return target_->OpenForOverwrite(path);
  }
  absl::Status SyncDir(const std::string& dir) override { return target_->SyncDir(dir); }
  absl::Status SyncFile(const std::string& path) override { return target_->SyncFile(path); }
  absl::StatusOr<FileInfo> Stat(const std::string& path) override { return target_->Stat(path); }
  absl::StatusOr<std::vector<DirEntry>> ListDir(const std::string& dir) override {
    return target_->ListDir(dir);
  }
  absl::Status CreateDir(const std::string& dir, uint32_t mode) override {
    return target_->CreateDir(dir, mode);
  }
  absl::Status Rename(const std::string& from, const std::string& to) override {
    return target_->Rename(from, to);
  }
  absl::Status RenameNoReplace(const std::string& from, const std::string& to) override {
    return target_->RenameNoReplace(from, to);
  }
  absl::Status Remove(const std::string& path) override { return target_->Remove(path); }

 private:
  Env* target_;
};

// Writes all of `data` at `offset`, looping over short writes.
[[nodiscard]] absl::Status WriteFully(RandomWriteFile& file, uint64_t offset,
                                      std::string_view data);

}  // namespace vault::base

#endif  // VAULT_BASE_ENV_H_
