// ClusterSync (several nodes on one store): a node drops its caches exactly
// when the store's cache generation moved, refuses while it cannot read it,
// and concurrent requests share generation reads. Shared keyring: two key
// hierarchies on one shared store see one keyring; a change built on a
// stale keyring is refused and can be retried; a destroyed KEK or a rotated
// root on one is in force on the other after Refresh.
#include "vault/cluster_sync.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <thread>
#include <vector>

#include "base/status.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/shared_memory_kv_store.h"
#include "tests/testing/temp_dir.h"
#include "vault/keys/key_hierarchy.h"
#include "vault/keys/subject_key_store.h"

namespace vault {
namespace {

using testing::SharedMemoryKvStore;

storage::WriteBatch Marked() {
  storage::WriteBatch b;
  b.Put(storage::Table::kMeta, "p", "v");
  b.MarkInvalidatesCaches();
  return b;
}

TEST(ClusterSyncTest, AStoreOneProcessOwnsIsNeverRead) {
  storage::MemoryKvStore kv;
  int changes = 0;
  ClusterSync sync(&kv, [&] {
    ++changes;
    return absl::OkStatus();
  });
  EXPECT_TRUE(sync.Sync().ok());
  EXPECT_EQ(sync.reads(), 0u);
  EXPECT_EQ(changes, 0);
}

TEST(ClusterSyncTest, CachesAreDroppedExactlyWhenTheGenerationMoved) {
  SharedMemoryKvStore kv;
  int changes = 0;
  ClusterSync sync(&kv, [&] {
    ++changes;
    return absl::OkStatus();
  });
  ASSERT_TRUE(sync.Sync().ok());
  EXPECT_EQ(changes, 1);  // the first sync puts the stored state in force
  ASSERT_TRUE(sync.Sync().ok());
  EXPECT_EQ(changes, 1);
  storage::WriteBatch plain;
  plain.Put(storage::Table::kTokens, "t", "v");
  ASSERT_TRUE(kv.Write(plain).ok());
  ASSERT_TRUE(sync.Sync().ok());
  EXPECT_EQ(changes, 1);  // nothing cached changed
  ASSERT_TRUE(kv.Write(Marked()).ok());
  ASSERT_TRUE(sync.Sync().ok());
  EXPECT_EQ(changes, 2);
}

TEST(ClusterSyncTest, AnUnreadableStoreRefusesUntilTheChangeIsInForce) {
  SharedMemoryKvStore kv;
  int changes = 0;
  bool refresh_fails = false;
  ClusterSync sync(&kv, [&] {
    if (refresh_fails) return absl::UnavailableError("keyring unreadable");
    ++changes;
    return absl::OkStatus();
  });
  ASSERT_TRUE(sync.Sync().ok());
  ASSERT_TRUE(kv.Write(Marked()).ok());
  kv.set_fail_reads(true);
  EXPECT_TRUE(absl::IsUnavailable(sync.Sync()));
  kv.set_fail_reads(false);
  refresh_fails = true;  // read, but the change could not be applied
  EXPECT_TRUE(absl::IsUnavailable(sync.Sync()));
  refresh_fails = false;
  EXPECT_TRUE(sync.Sync().ok());
  EXPECT_EQ(changes, 2);
}

TEST(ClusterSyncTest, ConcurrentRequestsShareGenerationReads) {
  SharedMemoryKvStore kv;
  ClusterSync sync(&kv, [] {
    std::this_thread::sleep_for(std::chrono::microseconds(200));
    return absl::OkStatus();
  });
  std::atomic<int> failed{0};
  std::atomic<bool> stop{false};
  // A writer keeps moving the generation, so reads keep applying changes.
  std::thread writer([&] {
    while (!stop.load()) {
      (void)kv.Write(Marked());
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
  });
  std::vector<std::thread> threads;
  constexpr int kThreads = 8;
  constexpr int kCalls = 200;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kCalls; ++i) {
        if (!sync.Sync().ok()) ++failed;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  stop = true;
  writer.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_LT(kv.generation_reads(), static_cast<uint64_t>(kThreads * kCalls));
  EXPECT_EQ(kv.generation_reads(), sync.reads());
}

class SharedKeyringTest : public ::testing::Test {
 protected:
  std::unique_ptr<KeyHierarchy> OpenNode() {
    KeyHierarchyOptions options;
    options.keyring_kv = &kv_;
    options.clock = &clock_;
    options.random = &crypto::SystemRandom::Instance();
    absl::StatusOr<std::unique_ptr<KeyHierarchy>> keys = KeyHierarchy::Open(options);
    EXPECT_TRUE(keys.ok()) << keys.status();
    return std::move(*keys);
  }
  void SetUp() override {
    a_ = OpenNode();
    ASSERT_TRUE(a_->InitializeWithKeyFile(KeyFile()).ok());
    ASSERT_TRUE(a_->UnsealWithKeyFile(KeyFile()).ok());
    b_ = OpenNode();  // opened after A initialised: reads A's keyring
    ASSERT_TRUE(b_->initialized());
    ASSERT_TRUE(b_->UnsealWithKeyFile(KeyFile()).ok());
  }
  std::string KeyFile() const { return dir_.Sub("unseal.key"); }

  testing::TempDir dir_;
  testing::FakeClock clock_;
  SharedMemoryKvStore kv_;
  std::unique_ptr<KeyHierarchy> a_, b_;
};

TEST_F(SharedKeyringTest, ATenantMadeOnOneNodeIsServedByTheOtherAfterRefresh) {
  ASSERT_TRUE(a_->CreateTenant("acme", "").ok());
  EXPECT_TRUE(absl::IsNotFound(b_->GetActiveKek("acme").status()));
  ASSERT_TRUE(b_->Refresh().ok());
  EXPECT_TRUE(b_->GetActiveKek("acme").ok());
  // Nothing of the keyring is kept in a file.
  EXPECT_FALSE(std::filesystem::exists(dir_.Sub("keyring.0")));
}

TEST_F(SharedKeyringTest, AChangeBuiltOnAStaleKeyringIsRefusedAndTheRetryKeepsBoth) {
  ASSERT_TRUE(a_->CreateTenant("acme", "").ok());
  absl::Status stale = b_->CreateTenant("beta", "");  // B never saw acme
  EXPECT_TRUE(absl::IsUnavailable(stale)) << stale;
  ASSERT_TRUE(b_->CreateTenant("beta", "").ok());  // B reloaded on the refusal
  ASSERT_TRUE(a_->Refresh().ok());
  EXPECT_TRUE(a_->GetActiveKek("acme").ok());
  EXPECT_TRUE(a_->GetActiveKek("beta").ok());
  EXPECT_TRUE(b_->GetActiveKek("acme").ok());
}

TEST_F(SharedKeyringTest, AKekDestroyedOnOneNodeIsGoneOnTheOtherAfterRefresh) {
  ASSERT_TRUE(a_->CreateTenant("acme", "").ok());
  ASSERT_TRUE(b_->Refresh().ok());
  ASSERT_TRUE(b_->GetKek("acme", 1).ok());  // now in B's cache
  ASSERT_TRUE(a_->RotateKek("acme").ok());
  ASSERT_TRUE(a_->DestroyKekVersions("acme", {1}).ok());
  EXPECT_TRUE(b_->GetKek("acme", 1).ok());  // stale until B syncs
  ASSERT_TRUE(b_->Refresh().ok());
  EXPECT_TRUE(IsGone(b_->GetKek("acme", 1).status()));
  EXPECT_TRUE(b_->GetKek("acme", 2).ok());
}

TEST_F(SharedKeyringTest, AnAuditAnchorAloneDoesNotMakeNodesDropTheirCaches) {
  const uint64_t before = *kv_.CacheGeneration();
  records::AuditAnchor anchor;  // stored once per audit checkpoint
  anchor.set_seq(1000);
  anchor.set_hash("h");
  ASSERT_TRUE(a_->StoreAuditAnchor(anchor).ok());
  EXPECT_EQ(*kv_.CacheGeneration(), before);
  ASSERT_TRUE(a_->CreateTenant("acme", "").ok());  // a key change does
  EXPECT_GT(*kv_.CacheGeneration(), before);
}

TEST_F(SharedKeyringTest, TwoNodesCreatingOneSubjectsKeyAtOnceKeepTheFirst) {
  ASSERT_TRUE(a_->CreateTenant("acme", "").ok());
  ASSERT_TRUE(b_->Refresh().ok());
  SubjectKeyStore keys_a(&kv_, a_.get(), &crypto::SystemRandom::Instance(), &clock_, 10);
  SubjectKeyStore keys_b(&kv_, b_.get(), &crypto::SystemRandom::Instance(), &clock_, 10);
  storage::WriteBatch batch_a, batch_b;  // each node's own subject lock: no help here
  absl::StatusOr<DataKeyHandle> key_a = keys_a.GetOrCreate("acme", "u-1", &batch_a);
  absl::StatusOr<DataKeyHandle> key_b = keys_b.GetOrCreate("acme", "u-1", &batch_b);
  ASSERT_TRUE(key_a.ok() && key_b.ok());
  ASSERT_NE((*key_a)->dek_id, (*key_b)->dek_id);
  ASSERT_TRUE(kv_.Write(batch_a).ok());
  EXPECT_TRUE(storage::IsExpectationFailed(kv_.Write(batch_b)));
  absl::StatusOr<DataKeyHandle> stored = keys_b.Get("acme", "u-1");
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ((*stored)->dek_id, (*key_a)->dek_id);  // A's records still open
}

TEST_F(SharedKeyringTest, ARootRotatedOnOneNodeIsOpenedByTheOtherWithItsUnsealKey) {
  ASSERT_TRUE(a_->CreateTenant("acme", "").ok());
  ASSERT_TRUE(a_->RotateRoot().ok());
  ASSERT_TRUE(b_->Refresh().ok());
  EXPECT_FALSE(b_->sealed());
  EXPECT_EQ(b_->root_key_version(), 2u);
  EXPECT_TRUE(b_->GetActiveKek("acme").ok());  // unwrapped under the new root
}

}  // namespace
}  // namespace vault
