// The column-family options of RocksKvStore built from RocksTuning: block
// cache, filters, index layout and memtables. Private to vault/storage/.
#ifndef VAULT_STORAGE_INTERNAL_ROCKS_OPTIONS_H_
#define VAULT_STORAGE_INTERNAL_ROCKS_OPTIONS_H_

#ifndef VAULT_INTERNAL_STORAGE
#error "vault/storage/internal/ is private to vault_storage; include vault/storage/kv_store.h"
#endif

#include <rocksdb/cache.h>
#include <rocksdb/options.h>

#include <memory>

#include "vault/storage/rocks_tuning.h"

namespace vault::storage::internal {

// The cache every column family shares (RocksTuning::block_cache_bytes).
std::shared_ptr<rocksdb::Cache> MakeBlockCache(const RocksTuning& tuning);

// Options of one column family; `token_table` is true for Table::kTokens
// (RocksTuning::token_filters_for_hits applies to it alone). The memtable
// size is opened 8 times larger (room for the whole WAL at recovery);
// OpenRocksKvStore sets it back to tuning.write_buffer_bytes after the open.
rocksdb::ColumnFamilyOptions MakeColumnFamilyOptions(const RocksTuning& tuning,
                                                     const std::shared_ptr<rocksdb::Cache>& cache,
                                                     bool token_table);

}  // namespace vault::storage::internal

#endif  // VAULT_STORAGE_INTERNAL_ROCKS_OPTIONS_H_
