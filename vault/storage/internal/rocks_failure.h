// RocksKvStore's failure handling: classifying RocksDB errors, the shared
// failure state, the event listener that keeps RocksDB's auto-recovery off,
// the info logger that survives a full disk, and the reserve file.
// Private to vault/storage/.
// Thread-safety: FailureState is safe for concurrent use (a leaf mutex);
// the rest are pure functions or RocksDB callbacks.
#ifndef VAULT_STORAGE_INTERNAL_ROCKS_FAILURE_H_
#define VAULT_STORAGE_INTERNAL_ROCKS_FAILURE_H_

#ifndef VAULT_INTERNAL_STORAGE
#error "vault/storage/internal/ is private to vault_storage; include vault/storage/kv_store.h"
#endif

#include <rocksdb/env.h>
#include <rocksdb/listener.h>
#include <rocksdb/status.h>

#include <chrono>
#include <cstdarg>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"

namespace vault::storage::internal {

enum class Failure : uint8_t { kNone, kNoSpace, kIoError };

Failure Classify(const rocksdb::Status& s);

// Fixed messages: no file names or RocksDB detail reach clients.
absl::Status Refusal(Failure f);

// What failed, shared by the store and its RocksDB event listener (which
// exists before the store). Thread-safety: one mutex, a leaf lock (the
// listener is called with RocksDB's DB mutex held).
struct FailureState {
  mutable std::mutex mu;
  Failure failure ABSL_GUARDED_BY(mu) = Failure::kNone;
  std::chrono::steady_clock::time_point last_resume ABSL_GUARDED_BY(mu) = {};
  uint64_t no_space_errors ABSL_GUARDED_BY(mu) = 0;
  uint64_t io_errors ABSL_GUARDED_BY(mu) = 0;

  // Records a failed operation; returns the refusal to hand back.
  absl::Status Record(Failure f);
  Failure Get() const;
};

// Marks the store failed on any background error and keeps RocksDB's own
// recovery off: Resume runs only from Recover(), with no write in flight.
class FailureListener final : public rocksdb::EventListener {
 public:
  explicit FailureListener(std::shared_ptr<FailureState> state) : state_(std::move(state)) {}
  const char* Name() const override { return "VaultFailureListener"; }
  void OnBackgroundError(rocksdb::BackgroundErrorReason, rocksdb::Status* bg_error) override;
  void OnErrorRecoveryBegin(rocksdb::BackgroundErrorReason, rocksdb::Status,
                            bool* auto_recovery) override;

 private:
  std::shared_ptr<FailureState> state_;
};

// RocksDB's info log written with plain write(2), failures ignored. The
// default logger goes through a WritableFileWriter, which asserts (aborts)
// on the first line logged after a failed one: on a full disk that is the
// error handler's own report of the failed WAL write.
class FdLogger final : public rocksdb::Logger {
 public:
  explicit FdLogger(int fd) : rocksdb::Logger(rocksdb::InfoLogLevel::INFO_LEVEL), fd_(fd) {}
  ~FdLogger() override;
  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override;

 private:
  int fd_;
};

// Opens `<db>/LOG` for the info log, keeping the previous one as LOG.old.
std::shared_ptr<rocksdb::Logger> OpenInfoLog(const std::string& db_path);

// Free bytes on the file system holding `path` (UINT64_MAX if unknown).
uint64_t FreeBytes(const std::string& path);
bool FileExists(const std::string& path);

// Creates the reserve file (exactly `bytes`, allocated, synced) when twice
// that is free. Returns whether it exists afterwards.
bool CreateReserve(const std::string& path, uint64_t bytes);

// rocksdb::Status -> absl::Status, `what` first.
absl::Status FromRocks(const rocksdb::Status& s, std::string_view what);

}  // namespace vault::storage::internal

#endif  // VAULT_STORAGE_INTERNAL_ROCKS_FAILURE_H_
