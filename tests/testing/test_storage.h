// Which store the vaultd integration tests run on (issue #15): the
// environment variable VAULT_TEST_STORAGE, unset or "rocksdb" for vaultd's
// own RocksDB in the data folder, "postgres" for a database of a throwaway
// PostgreSQL cluster (VaultdProcess adds --postgres to every vaultd it starts
// with a --data-dir; PgCluster::Shared()). Any other value aborts the test
// process with a message: a typo must not quietly test RocksDB again.
// Tests that are about RocksDB itself (its files, its checkpoints, its
// tuning, a full data folder) start with SKIP_UNLESS_ROCKSDB("why").
// Thread-safety: thread-safe (the variable is read once).
#ifndef VAULT_TESTS_TESTING_TEST_STORAGE_H_
#define VAULT_TESTS_TESTING_TEST_STORAGE_H_

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace vault::testing {

enum class TestStorage { kRocksDb, kPostgres };

inline TestStorage CurrentTestStorage() {
  static const TestStorage storage = [] {
    const char* env = std::getenv("VAULT_TEST_STORAGE");
    const std::string value = env == nullptr ? "" : env;
    if (value.empty() || value == "rocksdb") return TestStorage::kRocksDb;
    if (value == "postgres") return TestStorage::kPostgres;
    std::fprintf(stderr, "VAULT_TEST_STORAGE=%s: expected rocksdb (the default) or postgres\n",
                 value.c_str());
    std::abort();
  }();
  return storage;
}

inline bool TestStorageIsRocksDb() { return CurrentTestStorage() == TestStorage::kRocksDb; }

}  // namespace vault::testing

// Skips the calling test (or SetUp) when the tests run on PostgreSQL, with
// `why` in the skip message. Use as a statement: SKIP_UNLESS_ROCKSDB("...");
#define SKIP_UNLESS_ROCKSDB(why)                  \
  if (::vault::testing::TestStorageIsRocksDb()) { \
  } else                                          \
    GTEST_SKIP() << "RocksDB only, VAULT_TEST_STORAGE=postgres: " << (why)

#endif  // VAULT_TESTS_TESTING_TEST_STORAGE_H_
