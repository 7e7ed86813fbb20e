// RocksTuning: the read-path and memory settings of the RocksDB store that
// vaultd exposes in its configuration (--block-cache-mib and the rest, see
// docs/api.md). Defaults are sized for about 10 million tokens on a machine
// with a few GiB of RAM to spare; docs/operations.md (section 30) explains
// each one.
#ifndef VAULT_STORAGE_ROCKS_TUNING_H_
#define VAULT_STORAGE_ROCKS_TUNING_H_

#include <cstddef>

namespace vault::storage {

struct RocksTuning {
  // One LRU block cache shared by every table, for data blocks (and index
  // and filter blocks when cache_index_and_filter_blocks is set). 256 MiB
  // holds the hottest data blocks of 10 M tokens; the rest of their tables
  // (1.4-2.5 GB) is read through the OS page cache.
  size_t block_cache_bytes = 256ULL << 20;
  // Memtable size per table (column family); up to 4 per table.
  size_t write_buffer_bytes = 16ULL << 20;
  // Bloom filter bits per key (10: ~1 % false positives).
  int bloom_bits_per_key = 10;
  // Index and filter blocks live in the block cache (counted against its
  // size) instead of beside it in each open table's reader. Off by default:
  // at 10 M tokens scale_bench read faster with them outside the cache
  // (docs/operations.md, section 30); they then take memory beside the
  // cache that grows with the data (a few bytes per token).
  bool cache_index_and_filter_blocks = false;
  // With the above: level-0 tables' index and filter blocks, and the top
  // level of partitioned ones, stay pinned in the cache (never evicted).
  bool pin_index_and_filter_blocks = true;
  // Two-level (partitioned) index and filters: only the small top level is
  // pinned; partitions are cached like data blocks. Meant for
  // cache_index_and_filter_blocks with a cache smaller than the index.
  bool partitioned_index_filters = false;
  // A hash index inside each data block: point lookups skip the binary
  // search within the block (tables get ~1-2 % larger). Off by default
  // (not measured at scale yet).
  bool data_block_hash_index = false;
  // No filters on the token table's last level (most of its data): saves
  // their memory, but every lookup of a token that does not exist (the
  // collision check of a new random token, a new deterministic value)
  // then reads a last-level index and data block. Off by default.
  bool token_filters_for_hits = false;
};

}  // namespace vault::storage

#endif  // VAULT_STORAGE_ROCKS_TUNING_H_
