// RocksKvStore: the embedded default KvStore on RocksDB, one column family per
// Table, WAL synced by default (concurrent synced writers are group-committed
// by RocksDB's write leader). The only RocksDB user in the code base.
// Thread-safety: safe for concurrent use; closing happens in the destructor.
// A full disk never aborts the process: after a failed write the store
// refuses writes (UNAVAILABLE "storage full: ...") without touching RocksDB's
// failed files until DB::Resume() succeeds (Recover(), rate-limited).
#ifndef VAULT_STORAGE_ROCKS_KV_STORE_H_
#define VAULT_STORAGE_ROCKS_KV_STORE_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "vault/storage/kv_store.h"
#include "vault/storage/rocks_tuning.h"

namespace rocksdb {
class FileSystem;
}  // namespace rocksdb

namespace vault::storage {

struct RocksKvOptions {
  // Folder of the database; created if missing.
  std::string path;
  // Block cache, memtables, filters and index layout (vaultd's config).
  RocksTuning tuning;
  // Tests inject faults through a wrapping file system; null = the default.
  std::shared_ptr<rocksdb::FileSystem> file_system;
  // A file of `reserve_bytes` kept beside the database so that a start on a
  // full disk can still open it: at open, when less than `reserve_bytes` is
  // free the file is deleted (Health().reserve_released); when it is missing
  // and twice that is free it is (re)created, also by Recover(). Empty = none.
  std::string reserve_path;
  uint64_t reserve_bytes = 8ULL << 20;
  // Least time between two DB::Resume() attempts after a failure.
  std::chrono::milliseconds resume_interval{1000};
};

// Opens (creating if missing) the database at options.path. UNAVAILABLE when
// another process holds it; DATA_LOSS when it is corrupt. Recovery after a
// crash keeps the WAL instead of flushing it at open (needs no free space).
// RocksDB's info log (`LOG`, previous one `LOG.old`) is written with plain
// write(2) calls whose failures are ignored.
[[nodiscard]] absl::StatusOr<std::unique_ptr<KvStore>> OpenRocksKvStore(
    const RocksKvOptions& options);

}  // namespace vault::storage

#endif  // VAULT_STORAGE_ROCKS_KV_STORE_H_
