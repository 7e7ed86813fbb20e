// RocksKvStore's column-family options (see internal/rocks_options.h).
#include "vault/storage/internal/rocks_options.h"

#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>

namespace vault::storage::internal {

std::shared_ptr<rocksdb::Cache> MakeBlockCache(const RocksTuning& tuning) {
  rocksdb::LRUCacheOptions cache_options;
  cache_options.capacity = tuning.block_cache_bytes;
  // Index and filter blocks go to the high-priority pool (evicted after
  // data blocks); pinned ones are never evicted.
  cache_options.high_pri_pool_ratio = 0.5;
  return rocksdb::NewLRUCache(cache_options);
}

namespace {

rocksdb::BlockBasedTableOptions MakeTableOptions(const RocksTuning& tuning,
                                                 const std::shared_ptr<rocksdb::Cache>& cache) {
  rocksdb::BlockBasedTableOptions table_options;
  table_options.block_cache = cache;
  // Point lookups (token, field, key records) skip table files without the
  // key instead of searching each overlapping level-0 file.
  table_options.filter_policy.reset(rocksdb::NewBloomFilterPolicy(tuning.bloom_bits_per_key));
  table_options.cache_index_and_filter_blocks = tuning.cache_index_and_filter_blocks;
  table_options.cache_index_and_filter_blocks_with_high_priority = true;
  if (tuning.cache_index_and_filter_blocks && tuning.pin_index_and_filter_blocks) {
    table_options.pin_l0_filter_and_index_blocks_in_cache = true;
    table_options.pin_top_level_index_and_filter = true;
  }
  if (tuning.partitioned_index_filters) {
    table_options.index_type = rocksdb::BlockBasedTableOptions::kTwoLevelIndexSearch;
    table_options.partition_filters = true;
    table_options.metadata_block_size = 4096;
  }
  if (tuning.data_block_hash_index) {
    table_options.data_block_index_type = rocksdb::BlockBasedTableOptions::kDataBlockBinaryAndHash;
    table_options.data_block_hash_table_util_ratio = 0.75;
  }
  return table_options;
}

}  // namespace

rocksdb::ColumnFamilyOptions MakeColumnFamilyOptions(const RocksTuning& tuning,
                                                     const std::shared_ptr<rocksdb::Cache>& cache,
                                                     bool token_table) {
  rocksdb::ColumnFamilyOptions cf_options;
  // Values are AEAD ciphertexts and do not compress; compression would only
  // cost CPU (and hide bytes from the no-plaintext scans' controls).
  cf_options.compression = rocksdb::kNoCompression;
  cf_options.bottommost_compression = rocksdb::kNoCompression;
  // Smaller memtables keep skiplist inserts in cache: with random token keys
  // every insert walks the whole list, and 64 MiB lists miss L3.
  // Opened with room for every memtable the WAL can hold (4 per family), so
  // replaying it never writes a table file (a start on a full disk); set
  // back to write_buffer_bytes right after the open.
  cf_options.write_buffer_size = 8 * tuning.write_buffer_bytes;
  cf_options.arena_block_size = tuning.write_buffer_bytes / 8;
  cf_options.max_write_buffer_number = 4;
  // A lookup probes every memtable (active and not yet flushed); a whole-key
  // bloom filter per memtable skips those without the key.
  cf_options.memtable_whole_key_filtering = true;
  cf_options.memtable_prefix_bloom_size_ratio = 0.05;
  cf_options.optimize_filters_for_hits = token_table && tuning.token_filters_for_hits;
  cf_options.table_factory.reset(
      rocksdb::NewBlockBasedTableFactory(MakeTableOptions(tuning, cache)));
  return cf_options;
}

}  // namespace vault::storage::internal
