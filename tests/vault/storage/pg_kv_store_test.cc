// PgKvStore beyond the KvStore contract (kv_store_test.cc): a batch that
// fails midway leaves nothing and its error quotes no key, a write group is
// one transaction (synced or not), a snapshot may outlive its store, snapshots against
// writes from another store on the same database, scans across pages,
// MultiGet with repeated and binary keys, the schema version, the bounded
// pool, concurrent writers, and the outage of a restarted server (calls
// answer UNAVAILABLE in bounded time, the pool reconnects by itself).
// Each test runs on a throwaway PostgreSQL cluster (tests/testing/pg_cluster.h);
// without PostgreSQL's binaries they fail.
#include "vault/storage/pg_kv_store.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tests/testing/pg_cluster.h"

namespace vault::storage {
namespace {

using Clock = std::chrono::steady_clock;

class PgKvStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<testing::PgCluster*> cluster = testing::PgCluster::Shared();
    ASSERT_TRUE(cluster.ok()) << cluster.status();
    cluster_ = *cluster;
    absl::StatusOr<std::string> conninfo = cluster_->NewDatabase(&dbname_);
    ASSERT_TRUE(conninfo.ok()) << conninfo.status();
    conninfo_ = *conninfo;
  }
  std::unique_ptr<KvStore> Open(size_t pool_size = 4,
                                std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    PgKvOptions options;
    options.conninfo = conninfo_;
    options.pool_size = pool_size;
    options.acquire_timeout = timeout;
    options.scan_page_rows = 2;  // scans cross page boundaries
    absl::StatusOr<std::unique_ptr<KvStore>> store = OpenPgKvStore(options);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(*store) : nullptr;
  }

  testing::PgCluster* cluster_ = nullptr;
  std::string dbname_;
  std::string conninfo_;
};

TEST_F(PgKvStoreTest, BatchFailingMidwayLeavesNothingAndQuotesNoKey) {
  std::unique_ptr<KvStore> store = Open();
  ASSERT_NE(store, nullptr);
  // A trigger refuses one key, so the third statement of the batch fails.
  ASSERT_TRUE(cluster_
                  ->Sql(dbname_,
                        "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                        "IF NEW.k = 'secret-key'::bytea THEN RAISE EXCEPTION 'refused %', NEW.k; "
                        "END IF; RETURN NEW; END $$; CREATE TRIGGER refuse BEFORE INSERT OR "
                        "UPDATE ON vault_kv FOR EACH ROW EXECUTE FUNCTION refuse()")
                  .ok());
  WriteBatch b;
  b.Put(Table::kFields, "a", "1");
  b.Delete(Table::kFields, "x");
  b.Put(Table::kFields, "secret-key", "secret-value");
  b.Put(Table::kFields, "c", "3");
  absl::Status st = store->Write(b);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message().find("secret"), std::string_view::npos) << st;
  EXPECT_TRUE(absl::IsNotFound(store->Get(Table::kFields, "a").status()));
  EXPECT_TRUE(absl::IsNotFound(store->Get(Table::kFields, "c").status()));
  EXPECT_EQ(store->Stats().writes, 0u);
  // The failed statement did not spoil the pooled connection.
  WriteBatch ok;
  ok.Put(Table::kFields, "a", "1");
  EXPECT_TRUE(store->Write(ok).ok());
  EXPECT_EQ(*store->Get(Table::kFields, "a"), "1");
}

TEST_F(PgKvStoreTest, WriteGroupIsOneTransactionAlsoUnsynced) {
  std::unique_ptr<KvStore> store = Open();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(cluster_
                  ->Sql(dbname_,
                        "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                        "IF NEW.k = 'bad'::bytea THEN RAISE EXCEPTION 'refused'; END IF; "
                        "RETURN NEW; END $$; CREATE TRIGGER refuse BEFORE INSERT ON vault_kv "
                        "FOR EACH ROW EXECUTE FUNCTION refuse()")
                  .ok());
  WriteBatch first;
  first.Put(Table::kLedger, "first", "1");
  WriteBatch second;
  second.Put(Table::kLedger, "bad", "2");
  const WriteBatch* group[] = {&first, &second};
  EXPECT_FALSE(store->WriteGroup(group, WriteOptions{.sync = false}).ok());
  EXPECT_TRUE(absl::IsNotFound(store->Get(Table::kLedger, "first").status()));
  const WriteBatch* good[] = {&first};
  ASSERT_TRUE(store->WriteGroup(good, WriteOptions{.sync = false}).ok());
  EXPECT_EQ(*store->Get(Table::kLedger, "first"), "1");
}

TEST_F(PgKvStoreTest, SnapshotMayOutliveItsStore) {
  std::shared_ptr<const Snapshot> snap;
  {
    std::unique_ptr<KvStore> store = Open();
    ASSERT_NE(store, nullptr);
    snap = store->GetSnapshot();
  }
  snap.reset();  // returns its connection to the pool the snapshot keeps alive
}

TEST_F(PgKvStoreTest, SnapshotDoesNotSeeWritesOfAnotherNode) {
  std::unique_ptr<KvStore> node_a = Open();
  std::unique_ptr<KvStore> node_b = Open();
  ASSERT_NE(node_a, nullptr);
  ASSERT_NE(node_b, nullptr);
  WriteBatch b;
  for (std::string k : {"p1", "p2", "p3"}) b.Put(Table::kTokens, k, "old");
  ASSERT_TRUE(node_a->Write(b).ok());
  std::shared_ptr<const Snapshot> snap = node_a->GetSnapshot();
  WriteBatch later;
  later.Put(Table::kTokens, "p2", "new");
  later.Put(Table::kTokens, "p4", "new");
  later.Delete(Table::kTokens, "p1");
  ASSERT_TRUE(node_b->Write(later).ok());
  std::vector<std::string> seen;
  ASSERT_TRUE(node_a
                  ->ScanPrefix(
                      Table::kTokens, "p",
                      [&](std::string_view k, std::string_view v) {
                        seen.push_back(std::string(k) + "=" + std::string(v));
                        return true;
                      },
                      snap.get())
                  .ok());
  EXPECT_EQ(seen, (std::vector<std::string>{"p1=old", "p2=old", "p3=old"}));
  EXPECT_EQ(*node_a->Get(Table::kTokens, "p2", snap.get()), "old");
  EXPECT_EQ(*node_a->Get(Table::kTokens, "p2"), "new");
  EXPECT_TRUE(absl::IsNotFound(node_a->Get(Table::kTokens, "p1").status()));
}

TEST_F(PgKvStoreTest, ScanVisitsEveryKeyOnceAcrossPages) {
  std::unique_ptr<KvStore> store = Open();
  ASSERT_NE(store, nullptr);
  const std::vector<std::string> keys = {std::string("s", 1),        std::string("s\0", 2),
                                         std::string("s\0\0", 3),    std::string("s\0\x01", 3),
                                         std::string("s\x01", 2),    std::string("s\xff", 2),
                                         std::string("s\xff\xff", 3)};
  WriteBatch b;
  for (const std::string& k : keys) b.Put(Table::kAudit, k, "v");
  ASSERT_TRUE(store->Write(b).ok());
  std::vector<std::string> seen;
  ASSERT_TRUE(store
                  ->ScanPrefix(Table::kAudit, "s",
                               [&](std::string_view k, std::string_view) {
                                 seen.emplace_back(k);
                                 return true;
                               })
                  .ok());
  EXPECT_EQ(seen, keys);
}

TEST_F(PgKvStoreTest, MultiGetRepeatedAndBinaryKeys) {
  std::unique_ptr<KvStore> store = Open();
  ASSERT_NE(store, nullptr);
  const std::string binary("\0\"\\{},\xff", 7);
  WriteBatch b;
  b.Put(Table::kSubjectKeys, binary, "bin");
  b.Put(Table::kSubjectKeys, "", "empty");
  ASSERT_TRUE(store->Write(b).ok());
  std::vector<std::string> keys = {binary, "absent", binary, ""};
  std::vector<absl::StatusOr<std::string>> got = store->MultiGet(Table::kSubjectKeys, keys);
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(*got[0], "bin");
  EXPECT_TRUE(absl::IsNotFound(got[1].status()));
  EXPECT_EQ(*got[2], "bin");
  EXPECT_EQ(*got[3], "empty");
  EXPECT_TRUE(store->MultiGet(Table::kSubjectKeys, {}).empty());
}

TEST_F(PgKvStoreTest, TheCacheGenerationMovesOnlyWithMarkedWritesOfAnyNode) {
  std::unique_ptr<KvStore> node_a = Open();
  std::unique_ptr<KvStore> node_b = Open();
  ASSERT_NE(node_a, nullptr);
  ASSERT_NE(node_b, nullptr);
  EXPECT_TRUE(node_a->shared());
  const uint64_t start = *node_b->CacheGeneration();
  WriteBatch plain;
  plain.Put(Table::kTokens, "t", "v");
  ASSERT_TRUE(node_a->Write(plain).ok());
  EXPECT_EQ(*node_b->CacheGeneration(), start);  // a token write: caches stay
  WriteBatch principal;
  principal.Put(Table::kMeta, "p", "v");
  principal.MarkInvalidatesCaches();
  ASSERT_TRUE(node_a->Write(principal).ok());
  const uint64_t after_principal = *node_b->CacheGeneration();
  EXPECT_GT(after_principal, start);
  WriteBatch erasure;  // deleting a data key always counts
  erasure.Delete(Table::kSubjectKeys, "acme-u-1");
  ASSERT_TRUE(node_a->Write(erasure).ok());
  EXPECT_GT(*node_b->CacheGeneration(), after_principal);
  // A refused write does not move it.
  const uint64_t before_refusal = *node_b->CacheGeneration();
  WriteBatch refused;
  refused.Expect(Table::kMeta, "p", std::string("other"));
  refused.Put(Table::kMeta, "p", "w");
  refused.MarkInvalidatesCaches();
  EXPECT_TRUE(IsExpectationFailed(node_a->Write(refused)));
  EXPECT_EQ(*node_b->CacheGeneration(), before_refusal);
}

TEST_F(PgKvStoreTest, OneNodeHoldsTheMaintenanceLeaseAndItPassesOnWhenItCloses) {
  std::unique_ptr<KvStore> node_a = Open();
  std::unique_ptr<KvStore> node_b = Open();
  ASSERT_NE(node_a, nullptr);
  ASSERT_NE(node_b, nullptr);
  EXPECT_TRUE(*node_a->HoldMaintenanceLease());
  EXPECT_FALSE(*node_b->HoldMaintenanceLease());
  EXPECT_TRUE(*node_a->HoldMaintenanceLease());  // asked again: still A's
  node_a.reset();                                // its session ends, and the lock with it
  EXPECT_TRUE(*node_b->HoldMaintenanceLease());
}

TEST_F(PgKvStoreTest, ANodeNameIsTakenByOneStoreAtATime) {
  PgKvOptions options;
  options.conninfo = conninfo_;
  options.node_lock = "node-a";
  absl::StatusOr<std::unique_ptr<KvStore>> first = OpenPgKvStore(options);
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<std::unique_ptr<KvStore>> twin = OpenPgKvStore(options);
  EXPECT_TRUE(absl::IsFailedPrecondition(twin.status())) << twin.status();
  options.node_lock = "node-b";
  EXPECT_TRUE(OpenPgKvStore(options).ok());
  first->reset();
  options.node_lock = "node-a";
  EXPECT_TRUE(OpenPgKvStore(options).ok());
}

TEST_F(PgKvStoreTest, ANodeNameLostWithItsSessionIsTakenAgainByRecover) {
  PgKvOptions options;
  options.conninfo = conninfo_;
  options.node_lock = "node-a";
  absl::StatusOr<std::unique_ptr<KvStore>> node = OpenPgKvStore(options);
  ASSERT_TRUE(node.ok()) << node.status();
  // As after a failover: the session holding the name is gone.
  ASSERT_TRUE(cluster_
                  ->Sql(dbname_,
                        "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = "
                        "'advisory' AND pid <> pg_backend_pid()")
                  .ok());
  EXPECT_TRUE((*node)->Recover().ok());
  absl::StatusOr<std::unique_ptr<KvStore>> twin = OpenPgKvStore(options);
  EXPECT_TRUE(absl::IsFailedPrecondition(twin.status())) << twin.status();
}

TEST_F(PgKvStoreTest, ReopenKeepsDataAndNewerSchemaIsRefused) {
  {
    std::unique_ptr<KvStore> store = Open();
    ASSERT_NE(store, nullptr);
    WriteBatch b;
    b.Put(Table::kMeta, "k", "v");
    ASSERT_TRUE(store->Write(b).ok());
  }
  {
    std::unique_ptr<KvStore> store = Open();
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(*store->Get(Table::kMeta, "k"), "v");
  }
  ASSERT_TRUE(cluster_->Sql(dbname_, "UPDATE vault_schema SET version = version + 1").ok());
  PgKvOptions options;
  options.conninfo = conninfo_;
  EXPECT_TRUE(absl::IsFailedPrecondition(OpenPgKvStore(options).status()));
}

TEST_F(PgKvStoreTest, BadOptionsAndUnreachableServer) {
  EXPECT_TRUE(absl::IsInvalidArgument(OpenPgKvStore(PgKvOptions{}).status()));
  PgKvOptions options;
  options.conninfo = conninfo_;
  options.pool_size = 0;
  EXPECT_TRUE(absl::IsInvalidArgument(OpenPgKvStore(options).status()));
  options.pool_size = 1;
  options.conninfo = "host=/nonexistent-vault-socket-dir dbname=x connect_timeout=2";
  EXPECT_TRUE(absl::IsUnavailable(OpenPgKvStore(options).status()));
}

TEST_F(PgKvStoreTest, FullPoolAnswersUnavailableAfterTimeout) {
  std::unique_ptr<KvStore> store = Open(/*pool_size=*/1, std::chrono::milliseconds(200));
  ASSERT_NE(store, nullptr);
  std::shared_ptr<const Snapshot> snap = store->GetSnapshot();  // holds the only connection
  const Clock::time_point start = Clock::now();
  EXPECT_TRUE(absl::IsUnavailable(store->Get(Table::kMeta, "k").status()));
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(3));
  EXPECT_TRUE(absl::IsNotFound(store->Get(Table::kMeta, "k", snap.get()).status()));
  snap.reset();
  EXPECT_TRUE(absl::IsNotFound(store->Get(Table::kMeta, "k").status()));
}

TEST_F(PgKvStoreTest, ConcurrentWritersAllLand) {
  constexpr int kThreads = 4;
  constexpr int kBatches = 25;
  std::unique_ptr<KvStore> store = Open(/*pool_size=*/3);
  ASSERT_NE(store, nullptr);
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kBatches; ++i) {
        WriteBatch b;
        const std::string key = "w" + std::to_string(t) + "-" + std::to_string(i);
        b.Put(Table::kTokens, key, key);
        b.Put(Table::kMeta, "last-writer", std::to_string(t));  // the same row for everyone
        if (!store->Write(b).ok()) failures.fetch_add(1);
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  int rows = 0;
  ASSERT_TRUE(store
                  ->ScanPrefix(Table::kTokens, "w",
                               [&](std::string_view k, std::string_view v) {
                                 EXPECT_EQ(k, v);
                                 ++rows;
                                 return true;
                               })
                  .ok());
  EXPECT_EQ(rows, kThreads * kBatches);
  EXPECT_EQ(store->Stats().writes, static_cast<uint64_t>(kThreads * kBatches));
  EXPECT_EQ(store->Stats().wal_syncs, static_cast<uint64_t>(kThreads * kBatches));
}

// Stops and starts its own cluster (the shared one stays up).
TEST(PgKvStoreOutageTest, UnavailableDuringOutageThenReconnects) {
  absl::StatusOr<std::unique_ptr<testing::PgCluster>> cluster = testing::PgCluster::Start();
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  PgKvOptions options;
  options.conninfo = (*cluster)->ConnInfo();
  options.pool_size = 2;
  absl::StatusOr<std::unique_ptr<KvStore>> opened = OpenPgKvStore(options);
  ASSERT_TRUE(opened.ok()) << opened.status();
  KvStore& store = **opened;
  WriteBatch b;
  b.Put(Table::kTokens, "before", "1");
  ASSERT_TRUE(store.Write(b).ok());
  std::shared_ptr<const Snapshot> snap = store.GetSnapshot();

  ASSERT_TRUE((*cluster)->Stop().ok());
  const Clock::time_point start = Clock::now();
  WriteBatch during;
  during.Put(Table::kTokens, "during", "2");
  EXPECT_TRUE(absl::IsUnavailable(store.Write(during)));
  EXPECT_TRUE(absl::IsUnavailable(store.Get(Table::kTokens, "before").status()));
  EXPECT_TRUE(absl::IsUnavailable(store.Get(Table::kTokens, "before", snap.get()).status()));
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(5));
  EXPECT_FALSE(store.Health().writable);
  EXPECT_EQ(store.Health().error, "unavailable");
  EXPECT_TRUE(absl::IsUnavailable(store.Recover()));

  ASSERT_TRUE((*cluster)->Restart().ok());
  // The next call reconnects by itself.
  EXPECT_EQ(*store.Get(Table::kTokens, "before"), "1");
  EXPECT_TRUE(store.Health().writable);
  EXPECT_TRUE(store.Recover().ok());
  EXPECT_TRUE(absl::IsNotFound(store.Get(Table::kTokens, "during").status()));
  ASSERT_TRUE(store.Write(during).ok());
  EXPECT_EQ(*store.Get(Table::kTokens, "during"), "2");

  // A restart between two calls: the pooled connection is dead, the call
  // retries on a new one and succeeds.
  ASSERT_TRUE((*cluster)->Stop().ok());
  ASSERT_TRUE((*cluster)->Restart().ok());
  WriteBatch after;
  after.Put(Table::kTokens, "after", "3");
  EXPECT_TRUE(store.Write(after).ok());
  EXPECT_EQ(*store.Get(Table::kTokens, "after"), "3");
  // The snapshot's connection died with the server; it stays unusable.
  EXPECT_TRUE(absl::IsUnavailable(store.Get(Table::kTokens, "before", snap.get()).status()));
}

}  // namespace
}  // namespace vault::storage
