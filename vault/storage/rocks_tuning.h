// RocksTuning: the read-path and memory settings of the RocksDB store that
// vaultd exposes in its configuration (--block-cache-mib and the rest, see
// docs/api.md). Defaults are sized for about 10 million tokens on a machine
// with a few GiB of RAM to spare; docs/operations.md ("Storage tuning")
// explains each one.
#ifndef VAULT_STORAGE_ROCKS_TUNING_H_
#define VAULT_STORAGE_ROCKS_TUNING_H_

#include <cstddef>

namespace vault::storage {

struct RocksTuning {
  // One LRU block cache shared by every table. With index and filter blocks
  // cached (below) it bounds all of RocksDB's read memory. 256 MiB holds
  // the pinned index and filter partitions of 10 M tokens (~25 MiB) plus
  // the hottest data blocks; the rest of the ~1.4 GB of tables at 10 M is
  // read through the OS page cache.
  size_t block_cache_bytes = 256ULL << 20;
  // Memtable size per table (column family); up to 4 per table.
  size_t write_buffer_bytes = 16ULL << 20;
  // Bloom filter bits per key (10: ~1 % false positives).
  int bloom_bits_per_key = 10;
  // Index and filter blocks live in the block cache (counted against its
  // size) instead of beside it in each open table's reader.
  bool cache_index_and_filter_blocks = true;
  // With the above: level-0 tables' index and filter blocks, and the top
  // level of partitioned ones, stay pinned in the cache (never evicted).
  bool pin_index_and_filter_blocks = true;
  // Two-level (partitioned) index and filters: only the small top level is
  // pinned; partitions are cached like data blocks.
  bool partitioned_index_filters = true;
  // A hash index inside each data block: point lookups skip the binary
  // search within the block.
  bool data_block_hash_index = true;
  // No filters on the token table's last level (most of its data): saves
  // their memory, but every lookup of a token that does not exist (the
  // collision check of a new random token, a new deterministic value)
  // then reads a last-level index and data block. Off by default.
  bool token_filters_for_hits = false;
};

}  // namespace vault::storage

#endif  // VAULT_STORAGE_ROCKS_TUNING_H_
