// Tests for the group committer: every batch lands once and whole, groups
// form under concurrency, failures reach every caller of the group, large
// batches bypass the queue.
#include "vault/audit/group_committer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "tests/testing/fault_kv_store.h"
#include "vault/storage/memory_kv_store.h"

namespace vault {
namespace {

using storage::Table;

// A store whose writes take a while, as a synced write on a slow disk does:
// while the committer waits on it, other callers queue up.
class SlowKvStore : public testing::FaultInjectingKvStore {
 public:
  using FaultInjectingKvStore::FaultInjectingKvStore;
  absl::Status Write(const storage::WriteBatch& batch,
                     const storage::WriteOptions& options = {}) override {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    return FaultInjectingKvStore::Write(batch, options);
  }
};

TEST(GroupCommitterTest, ConcurrentBatchesAllLandWholeInFewerWrites) {
  storage::MemoryKvStore memory;
  SlowKvStore kv(&memory);
  GroupCommitter committer(&kv);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        storage::WriteBatch b;
        b.Put(Table::kTokens, "a" + std::to_string(t * 1000 + i), "x");
        b.Put(Table::kFields, "b" + std::to_string(t * 1000 + i), "y");
        ASSERT_TRUE(committer.Commit(b).ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  auto dump = memory.Dump();
  EXPECT_EQ(dump[static_cast<size_t>(Table::kTokens)].size(), 4000u);
  EXPECT_EQ(dump[static_cast<size_t>(Table::kFields)].size(), 4000u);
  // 8 callers each waiting on a 2 ms write: groups form, so far fewer
  // storage writes than commits.
  EXPECT_LT(kv.writes(), 4000 / 3);
  EXPECT_EQ(static_cast<uint64_t>(kv.writes()), committer.groups());
}

TEST(GroupCommitterTest, FailedGroupFailsItsCallersAndWritesNothing) {
  storage::MemoryKvStore memory;
  testing::FaultInjectingKvStore faulty(&memory);
  GroupCommitter committer(&faulty);
  faulty.FailWrites(1);
  storage::WriteBatch b;
  b.Put(Table::kTokens, "k", "v");
  EXPECT_TRUE(absl::IsUnavailable(committer.Commit(b)));
  EXPECT_TRUE(absl::IsNotFound(memory.Get(Table::kTokens, "k").status()));
  EXPECT_TRUE(committer.Commit(b).ok());
  EXPECT_EQ(*memory.Get(Table::kTokens, "k"), "v");
}

// A store whose first write waits at a gate until the test opens it.
class GatedKvStore : public testing::FaultInjectingKvStore {
 public:
  using FaultInjectingKvStore::FaultInjectingKvStore;
  absl::Status Write(const storage::WriteBatch& batch,
                     const storage::WriteOptions& options = {}) override {
    if (!passed_first_.exchange(true)) {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return open_; });
    }
    return FaultInjectingKvStore::Write(batch, options);
  }
  bool entered() const { return passed_first_.load(); }
  void Open() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  std::atomic<bool> passed_first_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

TEST(GroupCommitterTest, EveryCallerOfAFailedGroupSeesTheFailure) {
  storage::MemoryKvStore memory;
  GatedKvStore kv(&memory);
  GroupCommitter committer(&kv);
  kv.FailWrites(1, /*skip=*/1);  // the first write succeeds, the second fails
  auto commit = [&](int t) {
    storage::WriteBatch b;
    b.Put(Table::kTokens, "k" + std::to_string(t), "v");
    return committer.Commit(b);
  };
  std::thread first([&] { EXPECT_TRUE(commit(0).ok()); });
  while (!kv.entered()) std::this_thread::yield();
  // The committer is now held inside the first write; five more queue up
  // behind it and form one group.
  std::vector<std::thread> rest;
  std::atomic<int> failed{0};
  for (int t = 1; t <= 5; ++t) {
    rest.emplace_back([&, t] {
      if (!commit(t).ok()) ++failed;
    });
  }
  while (committer.queued() != 5) std::this_thread::yield();
  kv.Open();
  first.join();
  for (auto& th : rest) th.join();
  EXPECT_EQ(failed.load(), 5);  // every caller of the failed group
  EXPECT_EQ(memory.Dump()[static_cast<size_t>(Table::kTokens)].size(), 1u);  // only the first
}

// Records the thread that performs each write.
class ThreadRecordingKvStore : public testing::FaultInjectingKvStore {
 public:
  using FaultInjectingKvStore::FaultInjectingKvStore;
  absl::Status Write(const storage::WriteBatch& batch,
                     const storage::WriteOptions& options = {}) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      writers_.push_back(std::this_thread::get_id());
    }
    return FaultInjectingKvStore::Write(batch, options);
  }
  std::vector<std::thread::id> writers() {
    std::lock_guard<std::mutex> lock(mu_);
    return writers_;
  }

 private:
  std::mutex mu_;
  std::vector<std::thread::id> writers_;
};

TEST(GroupCommitterTest, ALoneCallerWritesItsGroupOnItsOwnThread) {
  storage::MemoryKvStore memory;
  ThreadRecordingKvStore kv(&memory);
  GroupCommitter committer(&kv);
  for (int i = 0; i < 3; ++i) {
    storage::WriteBatch b;
    b.Put(Table::kTokens, "k" + std::to_string(i), "v");
    ASSERT_TRUE(committer.Commit(b).ok());
  }
  // Nothing else was queued or being written: no hand-off to the committer.
  const std::vector<std::thread::id> writers = kv.writers();
  ASSERT_EQ(writers.size(), 3u);
  for (const std::thread::id& id : writers) EXPECT_EQ(id, std::this_thread::get_id());
  EXPECT_EQ(committer.groups(), 3u);
}

TEST(GroupCommitterTest, CallersArrivingDuringAWriteAreGroupedByTheCommitter) {
  storage::MemoryKvStore memory;
  GatedKvStore kv(&memory);
  GroupCommitter committer(&kv);
  std::thread first([&] {
    storage::WriteBatch b;
    b.Put(Table::kTokens, "first", "v");
    EXPECT_TRUE(committer.Commit(b).ok());
  });
  while (!kv.entered()) std::this_thread::yield();  // the first caller leads
  std::vector<std::thread> rest;
  for (int t = 0; t < 4; ++t) {
    rest.emplace_back([&, t] {
      storage::WriteBatch b;
      b.Put(Table::kTokens, "r" + std::to_string(t), "v");
      EXPECT_TRUE(committer.Commit(b).ok());
    });
  }
  while (committer.queued() != 4) std::this_thread::yield();  // none of them led
  kv.Open();
  first.join();
  for (auto& th : rest) th.join();
  EXPECT_EQ(kv.writes(), 2);  // the leader's, then one for the four
  EXPECT_EQ(committer.groups(), 2u);
}

TEST(GroupCommitterTest, LargeBatchesAreWrittenDirectly) {
  storage::MemoryKvStore kv;
  GroupCommitter committer(&kv, 8192, /*direct_ops=*/4);
  storage::WriteBatch big;
  for (int i = 0; i < 10; ++i) big.Put(Table::kTokens, std::to_string(i), "v");
  ASSERT_TRUE(committer.Commit(big).ok());
  EXPECT_EQ(committer.groups(), 0u);
  storage::WriteBatch small;
  small.Put(Table::kTokens, "s", "v");
  ASSERT_TRUE(committer.Commit(small).ok());
  EXPECT_EQ(committer.groups(), 1u);
}

TEST(GroupCommitterTest, EmptyBatchIsANoOp) {
  storage::MemoryKvStore kv;
  GroupCommitter committer(&kv);
  EXPECT_TRUE(committer.Commit(storage::WriteBatch()).ok());
  EXPECT_EQ(kv.Stats().writes, 0u);
}

}  // namespace
}  // namespace vault
