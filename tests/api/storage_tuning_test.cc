// #14 storage tuning: the flags and config keys reach RocksTuning, and
// RocksTuning reaches RocksDB (read back from the OPTIONS file RocksDB writes
// into the database folder), both through OpenRocksKvStore and through the
// real vaultd binary.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "api/storage_config.h"
#include "tests/api/vaultd_process.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_storage.h"
#include "vault/storage/rocks_kv_store.h"

namespace vault::api {
namespace {

using storage::RocksTuning;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The newest OPTIONS-NNNNNN file of the database folder `db`.
std::string LatestOptionsFile(const std::string& db) {
  std::string latest;
  for (const auto& e : std::filesystem::directory_iterator(db)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("OPTIONS-", 0) == 0 &&
        name > std::filesystem::path(latest).filename().string()) {
      latest = e.path().string();
    }
  }
  return ReadFile(latest);
}

// The [TableOptions/BlockBasedTable "NAME"] section of an OPTIONS file.
std::string TableSection(const std::string& options, const std::string& family) {
  const std::string head = "[TableOptions/BlockBasedTable \"" + family + "\"]";
  size_t at = options.find(head);
  if (at == std::string::npos) return "";
  size_t end = options.find("\n[", at + head.size());
  return options.substr(at, end == std::string::npos ? std::string::npos : end - at);
}

// The [CFOptions "NAME"] section of an OPTIONS file.
std::string FamilySection(const std::string& options, const std::string& family) {
  const std::string head = "[CFOptions \"" + family + "\"]";
  size_t at = options.find(head);
  if (at == std::string::npos) return "";
  size_t end = options.find("\n[", at + head.size());
  return options.substr(at, end == std::string::npos ? std::string::npos : end - at);
}

TEST(StorageTuningConfig, FlagWinsOverKeyAndKeyOverDefault) {
  StorageFlags flags;
  flags.block_cache_mib = 48;
  flags.partitioned_index_filters = "true";
  v1::ServerConfig config;
  config.set_block_cache_mib(96);
  config.set_bloom_bits_per_key(14);
  config.set_partitioned_index_filters(false);
  config.set_token_filters_for_hits(true);
  RocksTuning tuning;
  std::string error;
  ASSERT_TRUE(ResolveStorageTuning(flags, config, &tuning, &error)) << error;
  EXPECT_EQ(tuning.block_cache_bytes, 48ULL << 20);
  EXPECT_EQ(tuning.bloom_bits_per_key, 14);
  EXPECT_TRUE(tuning.partitioned_index_filters);
  EXPECT_TRUE(tuning.token_filters_for_hits);
  EXPECT_EQ(tuning.write_buffer_bytes, RocksTuning{}.write_buffer_bytes);
  EXPECT_EQ(tuning.cache_index_and_filter_blocks, RocksTuning{}.cache_index_and_filter_blocks);
}

TEST(StorageTuningConfig, OutOfRangeIsRefused) {
  StorageFlags flags;
  flags.bloom_bits_per_key = 65;
  RocksTuning tuning;
  std::string error;
  EXPECT_FALSE(ResolveStorageTuning(flags, v1::ServerConfig(), &tuning, &error));
  EXPECT_NE(error.find("bloom_bits_per_key"), std::string::npos);
}

TEST(StorageTuningRocks, OpenRocksKvStoreWritesTheTuningIntoOptions) {
  testing::TempDir dir;
  storage::RocksKvOptions options;
  options.path = dir.Sub("db");
  options.tuning.block_cache_bytes = 24ULL << 20;
  // Every value differs from RocksTuning's default.
  options.tuning.bloom_bits_per_key = 7;
  options.tuning.cache_index_and_filter_blocks = true;
  options.tuning.partitioned_index_filters = true;
  options.tuning.data_block_hash_index = true;
  options.tuning.token_filters_for_hits = true;
  ASSERT_TRUE(storage::OpenRocksKvStore(options).ok());
  const std::string text = LatestOptionsFile(dir.Sub("db"));
  const std::string tokens = TableSection(text, "tokens");
  ASSERT_FALSE(tokens.empty()) << text;
  EXPECT_NE(tokens.find("bloomfilter:7"), std::string::npos) << tokens;
  EXPECT_NE(tokens.find("index_type=kTwoLevelIndexSearch"), std::string::npos) << tokens;
  EXPECT_NE(tokens.find("partition_filters=true"), std::string::npos) << tokens;
  EXPECT_NE(tokens.find("data_block_index_type=kDataBlockBinaryAndHash"), std::string::npos);
  EXPECT_NE(tokens.find("cache_index_and_filter_blocks=true"), std::string::npos);
  EXPECT_NE(tokens.find("pin_top_level_index_and_filter=true"), std::string::npos);
  EXPECT_NE(FamilySection(text, "tokens").find("optimize_filters_for_hits=true"),
            std::string::npos);
  EXPECT_NE(FamilySection(text, "fields").find("optimize_filters_for_hits=false"),
            std::string::npos);
  // The cache's size is not in OPTIONS; RocksDB's info log prints it.
  EXPECT_NE(ReadFile(dir.Sub("db/LOG")).find("capacity : 25165824"), std::string::npos);
}

TEST(StorageTuningVaultd, ConfigAndFlagsReachRocksDb) {
  SKIP_UNLESS_ROCKSDB("reads RocksDB's OPTIONS and LOG files");
  testing::TempDir dir;
  std::ofstream(dir.Sub("vaultd.conf")) << "block_cache_mib: 40\npartitioned_index_filters: true\n"
                                        << "bloom_bits_per_key: 12\n";
  const std::string data = dir.Sub("data");
  {
    testing::VaultdProcess server({"--dev", "--data-dir", data, "--config", dir.Sub("vaultd.conf"),
                                   "--bloom-bits-per-key", "9", "--data-block-hash-index", "true"});
    ASSERT_GT(server.port(), 0) << "vaultd did not start";
    EXPECT_EQ(server.Stop(), 0);
  }
  const std::string text = LatestOptionsFile(data + "/db");
  const std::string tokens = TableSection(text, "tokens");
  ASSERT_FALSE(tokens.empty()) << text;
  EXPECT_NE(tokens.find("bloomfilter:9"), std::string::npos) << tokens;  // the flag won
  EXPECT_NE(tokens.find("index_type=kTwoLevelIndexSearch"), std::string::npos) << tokens;
  EXPECT_NE(tokens.find("partition_filters=true"), std::string::npos) << tokens;
  EXPECT_NE(tokens.find("data_block_index_type=kDataBlockBinaryAndHash"), std::string::npos);
  EXPECT_NE(tokens.find("cache_index_and_filter_blocks=false"), std::string::npos);      // default
  EXPECT_NE(ReadFile(data + "/db/LOG").find("capacity : 41943040"), std::string::npos);  // 40 MiB
}

TEST(StorageTuningVaultd, BadValueExitsWithStatus2) {
  testing::TempDir dir;
  testing::VaultdProcess server(
      {"--dev", "--data-dir", dir.Sub("data"), "--block-cache-mib", "2000000"});
  EXPECT_EQ(server.port(), 0);
}

}  // namespace
}  // namespace vault::api
