// vaultd's storage tuning: the --block-cache-mib ... flags and the matching
// keys of the config file (api/config.proto, fields 50-57) into
// vault::storage::RocksTuning. A flag wins over its key; neither keeps
// RocksTuning's default.
#ifndef VAULT_API_STORAGE_CONFIG_H_
#define VAULT_API_STORAGE_CONFIG_H_

#include <cstdint>
#include <string>

#include "CLI/CLI.hpp"
#include "api/config.pb.h"
#include "vault/storage/rocks_tuning.h"

namespace vault::api {

struct StorageFlags {
  uint32_t block_cache_mib = 0;  // 0 = not given
  uint32_t memtable_mib = 0;
  uint32_t bloom_bits_per_key = 0;
  // "true", "false" or "" (not given).
  std::string cache_index_and_filter_blocks, pin_index_and_filter_blocks, partitioned_index_filters,
      data_block_hash_index, token_filters_for_hits;
};

void AddStorageFlags(CLI::App& app, StorageFlags* flags);

// False, with the reason in *error, when a value is out of range
// (block cache 1-1048576 MiB, memtable 1-1024 MiB, bloom 1-64 bits/key).
bool ResolveStorageTuning(const StorageFlags& flags, const v1::ServerConfig& config,
                          storage::RocksTuning* tuning, std::string* error);

// ResolveStorageTuning for vaultd's start: false after printing the reason
// on stderr ("vaultd: ...").
bool ApplyStorageConfig(const StorageFlags& flags, const v1::ServerConfig& config,
                        storage::RocksTuning* tuning);

}  // namespace vault::api

#endif  // VAULT_API_STORAGE_CONFIG_H_
