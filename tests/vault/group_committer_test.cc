// Tests for the group committer: every batch lands once and whole, groups
// form under concurrency, failures reach every caller of the group, large
// batches bypass the queue, shutdown drains.
#include "vault/group_committer.h"

#include <gtest/gtest.h>

#include <thread>

#include "tests/testing/fault_kv_store.h"
#include "vault/storage/memory_kv_store.h"

namespace vault {
namespace {

using storage::Table;

TEST(GroupCommitterTest, ConcurrentBatchesAllLandWhole) {
  storage::MemoryKvStore kv;
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
  auto dump = kv.Dump();
  EXPECT_EQ(dump[static_cast<size_t>(Table::kTokens)].size(), 4000u);
  EXPECT_EQ(dump[static_cast<size_t>(Table::kFields)].size(), 4000u);
  EXPECT_LE(committer.groups(), 4000u);
  EXPECT_GE(committer.groups(), 1u);
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
