// Contract tests for every KvStore backend (memory, RocksDB and PostgreSQL):
// get, multi-get, atomic batches, prefix scans, bytewise key order,
// snapshots, flush and compaction, and reopening RocksDB after a clean
// close. The PostgreSQL backend runs on a throwaway cluster (one per test
// process, a new database per test); without PostgreSQL's binaries its
// cases fail (tests/testing/pg_cluster.h).
#include "vault/storage/kv_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <optional>
#include <ostream>
#include <thread>

#include "tests/testing/pg_cluster.h"
#include "tests/testing/temp_dir.h"
#include "vault/storage/memory_kv_store.h"
#include "vault/storage/pg_kv_store.h"
#include "vault/storage/rocks_kv_store.h"

namespace vault::storage {
namespace {

struct Backend {
  std::string name;
  std::function<std::unique_ptr<KvStore>(const std::string& dir)> open;
};

// ctest names the cases by backend, not by the struct's bytes.
void PrintTo(const Backend& backend, std::ostream* os) { *os << backend.name; }

class KvStoreContract : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    store_ = GetParam().open(dir_.Sub("db"));
    ASSERT_NE(store_, nullptr) << GetParam().name << " store did not open";
  }
  std::vector<std::pair<std::string, std::string>> Scan(Table t, std::string_view prefix) {
    std::vector<std::pair<std::string, std::string>> out;
    EXPECT_TRUE(store_
                    ->ScanPrefix(t, prefix,
                                 [&](std::string_view k, std::string_view v) {
                                   out.emplace_back(k, v);
                                   return true;
                                 })
                    .ok());
    return out;
  }
  testing::TempDir dir_;
  std::unique_ptr<KvStore> store_;
};

TEST_P(KvStoreContract, GetMissingIsNotFound) {
  EXPECT_TRUE(absl::IsNotFound(store_->Get(Table::kFields, "nope").status()));
}

TEST_P(KvStoreContract, BatchAppliesPutsAndDeletesTogether) {
  WriteBatch b1;
  b1.Put(Table::kFields, "a", "1");
  b1.Put(Table::kSubjectKeys, "a", "key");
  ASSERT_TRUE(store_->Write(b1).ok());
  WriteBatch b2;
  b2.Delete(Table::kFields, "a");
  b2.Put(Table::kFields, "b", "2");
  ASSERT_TRUE(store_->Write(b2).ok());
  EXPECT_TRUE(absl::IsNotFound(store_->Get(Table::kFields, "a").status()));
  EXPECT_EQ(*store_->Get(Table::kFields, "b"), "2");
  EXPECT_EQ(*store_->Get(Table::kSubjectKeys, "a"), "key");
}

TEST_P(KvStoreContract, TablesAreSeparate) {
  WriteBatch b;
  b.Put(Table::kFields, "k", "fields");
  ASSERT_TRUE(store_->Write(b).ok());
  EXPECT_TRUE(absl::IsNotFound(store_->Get(Table::kTokens, "k").status()));
}

TEST_P(KvStoreContract, MultiGetKeepsOrderAndReportsMissing) {
  WriteBatch b;
  b.Put(Table::kTokens, "x", "1");
  b.Put(Table::kTokens, "z", "3");
  ASSERT_TRUE(store_->Write(b).ok());
  std::vector<std::string> keys = {"z", "y", "x"};
  std::vector<absl::StatusOr<std::string>> got = store_->MultiGet(Table::kTokens, keys);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(*got[0], "3");
  EXPECT_TRUE(absl::IsNotFound(got[1].status()));
  EXPECT_EQ(*got[2], "1");
}

TEST_P(KvStoreContract, ScanPrefixIsOrderedAndBounded) {
  WriteBatch b;
  for (std::string k : {std::string("t\0s1\0b", 6), std::string("t\0s1\0a", 6),
                        std::string("t\0s10\0a", 7), std::string("t\0s2", 4)}) {
    b.Put(Table::kFields, k, "v");
  }
  ASSERT_TRUE(store_->Write(b).ok());
  auto rows = Scan(Table::kFields, std::string("t\0s1\0", 5));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].first, std::string("t\0s1\0a", 6));
  EXPECT_EQ(rows[1].first, std::string("t\0s1\0b", 6));
}

TEST_P(KvStoreContract, ScanStopsWhenVisitorSaysSo) {
  WriteBatch b;
  for (int i = 0; i < 10; ++i) b.Put(Table::kAudit, "p" + std::to_string(i), "v");
  ASSERT_TRUE(store_->Write(b).ok());
  int seen = 0;
  ASSERT_TRUE(store_
                  ->ScanPrefix(Table::kAudit, "p",
                               [&](std::string_view, std::string_view) { return ++seen < 3; })
                  .ok());
  EXPECT_EQ(seen, 3);
}

TEST_P(KvStoreContract, SnapshotSeesOldState) {
  WriteBatch b;
  b.Put(Table::kMeta, "k", "old");
  ASSERT_TRUE(store_->Write(b).ok());
  std::shared_ptr<const Snapshot> snap = store_->GetSnapshot();
  WriteBatch b2;
  b2.Put(Table::kMeta, "k", "new");
  b2.Put(Table::kMeta, "k2", "added");
  ASSERT_TRUE(store_->Write(b2).ok());
  EXPECT_EQ(*store_->Get(Table::kMeta, "k", snap.get()), "old");
  EXPECT_TRUE(absl::IsNotFound(store_->Get(Table::kMeta, "k2", snap.get()).status()));
  EXPECT_EQ(*store_->Get(Table::kMeta, "k"), "new");
  EXPECT_EQ(Scan(Table::kMeta, "k").size(), 2u);
}

TEST_P(KvStoreContract, FlushAndCompactKeepData) {
  WriteBatch b;
  b.Put(Table::kLedger, "a", "1");
  b.Put(Table::kLedger, "b", "2");
  ASSERT_TRUE(store_->Write(b).ok());
  WriteBatch d;
  d.Delete(Table::kLedger, "a");
  ASSERT_TRUE(store_->Write(d).ok());
  ASSERT_TRUE(store_->Flush().ok());
  ASSERT_TRUE(store_->CompactRange(Table::kLedger, "", "").ok());
  EXPECT_TRUE(absl::IsNotFound(store_->Get(Table::kLedger, "a").status()));
  EXPECT_EQ(*store_->Get(Table::kLedger, "b"), "2");
}

// Keys RocksDB's bytewise comparator orders by unsigned bytes, a prefix
// before its extensions: 0x00 and 0xff bytes must sort the same on every
// backend.
TEST_P(KvStoreContract, KeysAreOrderedBytewise) {
  const std::vector<std::string> sorted = {std::string("k", 1),       std::string("k\0", 2),
                                           std::string("k\0\0", 3),   std::string("k\0\xff", 3),
                                           std::string("k\x01", 2),   std::string("k\x7f", 2),
                                           std::string("k\x80", 2),   std::string("k\xff", 2),
                                           std::string("k\xff\0", 3), std::string("k\xff\xff", 3)};
  WriteBatch b;
  for (auto it = sorted.rbegin(); it != sorted.rend(); ++it) b.Put(Table::kTokens, *it, *it);
  b.Put(Table::kTokens, "j\xff", "before");
  b.Put(Table::kTokens, "l", "after");
  ASSERT_TRUE(store_->Write(b).ok());
  std::vector<std::string> keys;
  for (const auto& [k, v] : Scan(Table::kTokens, "k")) {
    EXPECT_EQ(k, v);
    keys.push_back(k);
  }
  EXPECT_EQ(keys, sorted);
  std::vector<std::string> range;
  ASSERT_TRUE(store_
                  ->ScanRange(Table::kTokens, std::string("k\0", 2), std::string("k\x80", 2),
                              [&](std::string_view k, std::string_view) {
                                range.emplace_back(k);
                                return true;
                              })
                  .ok());
  EXPECT_EQ(range, std::vector<std::string>(sorted.begin() + 1, sorted.begin() + 6));
}

TEST_P(KvStoreContract, ScanRangeWithEmptyEndIsUnbounded) {
  WriteBatch b;
  for (std::string k : {"a", "b", "c\xff\xff"}) b.Put(Table::kBlindIndex, k, "v");
  ASSERT_TRUE(store_->Write(b).ok());
  std::vector<std::string> keys;
  ASSERT_TRUE(store_
                  ->ScanRange(Table::kBlindIndex, "b", "",
                              [&](std::string_view k, std::string_view) {
                                keys.emplace_back(k);
                                return true;
                              })
                  .ok());
  EXPECT_EQ(keys, (std::vector<std::string>{"b", "c\xff\xff"}));
}

std::unique_ptr<KvStore> OpenRocks(const std::string& dir) {
  RocksKvOptions options;
  options.path = dir;
  return std::move(*OpenRocksKvStore(options));
}

TEST_P(KvStoreContract, AnExpectationThatFailsWritesNothing) {
  WriteBatch first;
  first.Expect(Table::kAudit, "h", std::nullopt);  // absent: holds
  first.Put(Table::kAudit, "h", "1");
  ASSERT_TRUE(store_->Write(first).ok());

  WriteBatch stale;  // built on a value another writer has since replaced
  stale.Expect(Table::kAudit, "h", std::string("0"));
  stale.Put(Table::kAudit, "h", "2");
  stale.Put(Table::kFields, "side", "effect");
  absl::Status refused = store_->Write(stale);
  EXPECT_TRUE(IsExpectationFailed(refused)) << refused;
  EXPECT_EQ(*store_->Get(Table::kAudit, "h"), "1");
  EXPECT_TRUE(absl::IsNotFound(store_->Get(Table::kFields, "side").status()));

  WriteBatch absent;  // expects absence of a key that exists
  absent.Expect(Table::kAudit, "h", std::nullopt);
  absent.Put(Table::kAudit, "h", "3");
  EXPECT_TRUE(IsExpectationFailed(store_->Write(absent)));

  WriteBatch current;
  current.Expect(Table::kAudit, "h", std::string("1"));
  current.Put(Table::kAudit, "h", "2");
  ASSERT_TRUE(store_->Write(current).ok());
  EXPECT_EQ(*store_->Get(Table::kAudit, "h"), "2");
}

TEST_P(KvStoreContract, WriteGroupOnRunsOneWriterAtATimeOnTheCurrentValue) {
  // Four threads each advance a counter 25 times through WriteGroupOn, and
  // write a record of their own in the same write: no increment is lost.
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        WriteBatch own;
        own.Put(Table::kFields, "t" + std::to_string(t) + "-" + std::to_string(i), "x");
        const WriteBatch* batches[] = {&own};
        absl::Status s = store_->WriteGroupOn(
            Table::kAudit, "counter",
            [](const std::optional<std::string>& current, WriteBatch* extra) {
              const int n = current.has_value() ? std::stoi(*current) : 0;
              extra->Put(Table::kAudit, "counter", std::to_string(n + 1));
              return absl::OkStatus();
            },
            batches);
        if (!s.ok()) ++failures;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(*store_->Get(Table::kAudit, "counter"), "100");
  EXPECT_EQ(Scan(Table::kFields, "t").size(), 100u);

  // A failing build writes nothing of the group.
  WriteBatch own;
  own.Put(Table::kFields, "lost", "x");
  const WriteBatch* batches[] = {&own};
  absl::Status s = store_->WriteGroupOn(
      Table::kAudit, "counter",
      [](const std::optional<std::string>&, WriteBatch*) {
        return absl::UnavailableError("sealed");
      },
      batches);
  EXPECT_TRUE(absl::IsUnavailable(s)) << s;
  EXPECT_TRUE(absl::IsNotFound(store_->Get(Table::kFields, "lost").status()));
}

// A new database in the process's throwaway cluster; null (with the reason
// as a test failure) when there is no cluster.
std::unique_ptr<KvStore> OpenPg(const std::string&) {
  absl::StatusOr<testing::PgCluster*> cluster = testing::PgCluster::Shared();
  if (!cluster.ok()) {
    ADD_FAILURE() << cluster.status();
    return nullptr;
  }
  absl::StatusOr<std::string> conninfo = (*cluster)->NewDatabase();
  if (!conninfo.ok()) {
    ADD_FAILURE() << conninfo.status();
    return nullptr;
  }
  PgKvOptions options;
  options.conninfo = *conninfo;
  absl::StatusOr<std::unique_ptr<KvStore>> store = OpenPgKvStore(options);
  if (!store.ok()) {
    ADD_FAILURE() << store.status();
    return nullptr;
  }
  return std::move(*store);
}

INSTANTIATE_TEST_SUITE_P(
    Backends, KvStoreContract,
    ::testing::Values(Backend{"memory",
                              [](const std::string&) { return std::make_unique<MemoryKvStore>(); }},
                      Backend{"rocksdb", OpenRocks}, Backend{"postgres", OpenPg}),
    [](const ::testing::TestParamInfo<Backend>& p) { return p.param.name; });

TEST(RocksKvStoreTest, ReopenAfterCleanCloseReadsEverything) {
  testing::TempDir dir;
  {
    std::unique_ptr<KvStore> store = OpenRocks(dir.Sub("db"));
    for (int i = 0; i < 1000; ++i) {
      WriteBatch b;
      b.Put(Table::kTokens, "k" + std::to_string(i), "v" + std::to_string(i));
      ASSERT_TRUE(store->Write(b).ok());
    }
  }
  std::unique_ptr<KvStore> store = OpenRocks(dir.Sub("db"));
  for (int i = 0; i < 1000; ++i) {
    EXPECT_EQ(*store->Get(Table::kTokens, "k" + std::to_string(i)), "v" + std::to_string(i));
  }
}

TEST(RocksKvStoreTest, SecondOpenOfSameFolderIsRefused) {
  testing::TempDir dir;
  std::unique_ptr<KvStore> first = OpenRocks(dir.Sub("db"));
  RocksKvOptions options;
  options.path = dir.Sub("db");
  absl::StatusOr<std::unique_ptr<KvStore>> second = OpenRocksKvStore(options);
  EXPECT_FALSE(second.ok());
}

TEST(RocksKvStoreTest, EmptyPathIsInvalid) {
  EXPECT_TRUE(absl::IsInvalidArgument(OpenRocksKvStore(RocksKvOptions{}).status()));
}

}  // namespace
}  // namespace vault::storage
