// RocksKvStore: the embedded default KvStore on RocksDB, one column family per
// Table, WAL synced by default (concurrent synced writers are group-committed
// by RocksDB's write leader). The only RocksDB user in the code base.
// Thread-safety: safe for concurrent use; closing happens in the destructor.
#ifndef VAULT_STORAGE_ROCKS_KV_STORE_H_
#define VAULT_STORAGE_ROCKS_KV_STORE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "vault/storage/kv_store.h"

namespace rocksdb {
class FileSystem;
}  // namespace rocksdb

namespace vault::storage {

struct RocksKvOptions {
  // Folder of the database; created if missing.
  std::string path;
  // Block cache for reads.
  size_t block_cache_bytes = 64ULL << 20;
  // Memtable size per column family.
  size_t write_buffer_bytes = 16ULL << 20;
  // Tests inject faults through a wrapping file system; null = the default.
  std::shared_ptr<rocksdb::FileSystem> file_system;
};

// Opens (creating if missing) the database at options.path. UNAVAILABLE when
// another process holds it; DATA_LOSS when it is corrupt.
[[nodiscard]] absl::StatusOr<std::unique_ptr<KvStore>> OpenRocksKvStore(
    const RocksKvOptions& options);

}  // namespace vault::storage

#endif  // VAULT_STORAGE_ROCKS_KV_STORE_H_
