// vaultd's storage tuning flags and config keys (see storage_config.h).
#include "api/storage_config.h"

#include <cstdio>

namespace vault::api {
namespace {

// The flag (if given), else the key (if set), else the default.
void PickBool(const std::string& flag, bool has_key, bool key, bool* out) {
  if (!flag.empty()) {
    *out = flag == "true";
  } else if (has_key) {
    *out = key;
  }
}

bool PickNumber(uint32_t flag, uint32_t key, uint32_t max, const char* name, uint64_t* out,
                std::string* error) {
  const uint32_t value = flag != 0 ? flag : key;
  if (value == 0) return true;
  if (value > max) {
    *error = std::string(name) + " must be between 1 and " + std::to_string(max);
    return false;
  }
  *out = value;
  return true;
}

}  // namespace

void AddStorageFlags(CLI::App& app, StorageFlags* f) {
  const auto boolean = CLI::IsMember({"true", "false"});
  app.add_option("--block-cache-mib", f->block_cache_mib,
                 "RocksDB block cache shared by all tables, MiB (default 256)");
  app.add_option("--memtable-mib", f->memtable_mib, "memtable size per table, MiB (default 16)");
  app.add_option("--bloom-bits-per-key", f->bloom_bits_per_key,
                 "bloom filter bits per key (default 10)");
  app.add_option("--cache-index-and-filter-blocks", f->cache_index_and_filter_blocks,
                 "true|false: index and filter blocks in the block cache (default false)")
      ->check(boolean);
  app.add_option("--pin-index-and-filter-blocks", f->pin_index_and_filter_blocks,
                 "true|false: keep level-0 and top-level index/filter blocks pinned (default true)")
      ->check(boolean);
  app.add_option("--partitioned-index-filters", f->partitioned_index_filters,
                 "true|false: two-level index and filters (default false)")
      ->check(boolean);
  app.add_option("--data-block-hash-index", f->data_block_hash_index,
                 "true|false: hash index inside data blocks (default false)")
      ->check(boolean);
  app.add_option("--token-filters-for-hits", f->token_filters_for_hits,
                 "true|false: no filters on the token table's last level (default false)")
      ->check(boolean);
}

bool ResolveStorageTuning(const StorageFlags& flags, const v1::ServerConfig& config,
                          storage::RocksTuning* tuning, std::string* error) {
  uint64_t cache_mib = tuning->block_cache_bytes >> 20;
  uint64_t memtable_mib = tuning->write_buffer_bytes >> 20;
  uint64_t bloom = static_cast<uint64_t>(tuning->bloom_bits_per_key);
  if (!PickNumber(flags.block_cache_mib, config.block_cache_mib(), 1U << 20, "block_cache_mib",
                  &cache_mib, error) ||
      !PickNumber(flags.memtable_mib, config.memtable_mib(), 1024, "memtable_mib", &memtable_mib,
                  error) ||
      !PickNumber(flags.bloom_bits_per_key, config.bloom_bits_per_key(), 64, "bloom_bits_per_key",
                  &bloom, error)) {
    return false;
  }
  tuning->block_cache_bytes = static_cast<size_t>(cache_mib) << 20;
  tuning->write_buffer_bytes = static_cast<size_t>(memtable_mib) << 20;
  tuning->bloom_bits_per_key = static_cast<int>(bloom);
  PickBool(flags.cache_index_and_filter_blocks, config.has_cache_index_and_filter_blocks(),
           config.cache_index_and_filter_blocks(), &tuning->cache_index_and_filter_blocks);
  PickBool(flags.pin_index_and_filter_blocks, config.has_pin_index_and_filter_blocks(),
           config.pin_index_and_filter_blocks(), &tuning->pin_index_and_filter_blocks);
  PickBool(flags.partitioned_index_filters, config.has_partitioned_index_filters(),
           config.partitioned_index_filters(), &tuning->partitioned_index_filters);
  PickBool(flags.data_block_hash_index, config.has_data_block_hash_index(),
           config.data_block_hash_index(), &tuning->data_block_hash_index);
  PickBool(flags.token_filters_for_hits, config.has_token_filters_for_hits(),
           config.token_filters_for_hits(), &tuning->token_filters_for_hits);
  return true;
}

bool ApplyStorageConfig(const StorageFlags& flags, const v1::ServerConfig& config,
                        storage::RocksTuning* tuning) {
  std::string error;
  if (ResolveStorageTuning(flags, config, tuning, &error)) return true;
  std::fprintf(stderr, "vaultd: %s\n", error.c_str());
  return false;
}

}  // namespace vault::api
