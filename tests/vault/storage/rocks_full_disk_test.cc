// RocksKvStore on a disk that fills up, through a file system that fails
// every append with "no space" while full: writes are refused (UNAVAILABLE
// "storage full"), nothing aborts, Health() says why, and after space is
// back Recover() makes the store writable with every acknowledged write kept.
#include <gtest/gtest.h>
#include <rocksdb/file_system.h>

#include <atomic>
#include <chrono>
#include <string>

#include "tests/testing/temp_dir.h"
#include "vault/storage/kv_store.h"
#include "vault/storage/rocks_kv_store.h"

namespace vault::storage {
namespace {

// While full, every append and every new file fails as ENOSPC would.
class FullDiskFileSystem : public rocksdb::FileSystemWrapper {
 public:
  using FileSystemWrapper::FileSystemWrapper;
  const char* Name() const override { return "FullDiskFileSystem"; }
  void SetFull(bool full) { full_ = full; }

  rocksdb::IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override {
    if (full_) return NoSpace();
    rocksdb::IOStatus s = target()->NewWritableFile(name, options, result, dbg);
    if (s.ok()) *result = std::make_unique<File>(std::move(*result), this);
    return s;
  }

 private:
  static rocksdb::IOStatus NoSpace() {
    rocksdb::IOStatus s = rocksdb::IOStatus::NoSpace("injected", "No space left on device");
    s.SetRetryable(true);
    return s;
  }
  class File : public rocksdb::FSWritableFileOwnerWrapper {
   public:
    File(std::unique_ptr<rocksdb::FSWritableFile> file, FullDiskFileSystem* fs)
        : FSWritableFileOwnerWrapper(std::move(file)), fs_(fs) {}
    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                             rocksdb::IODebugContext* dbg) override {
      if (fs_->full_) return NoSpace();
      return target()->Append(data, options, dbg);
    }
    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                             const rocksdb::DataVerificationInfo&,
                             rocksdb::IODebugContext* dbg) override {
      return Append(data, options, dbg);
    }

   private:
    FullDiskFileSystem* fs_;
  };
  std::atomic<bool> full_{false};
};

WriteBatch One(const std::string& key) {
  WriteBatch b;
  b.Put(Table::kTokens, key, "value-" + key);
  return b;
}

class RocksFullDiskTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs_ = std::make_shared<FullDiskFileSystem>(rocksdb::FileSystem::Default());
    RocksKvOptions options;
    options.path = dir_.Sub("db");
    options.file_system = fs_;
    options.resume_interval = std::chrono::milliseconds(0);
    store_ = std::move(*OpenRocksKvStore(options));
  }
  testing::TempDir dir_;
  std::shared_ptr<FullDiskFileSystem> fs_;
  std::unique_ptr<KvStore> store_;
};

TEST_F(RocksFullDiskTest, FailedWriteRefusesLaterWritesWithStorageFull) {
  ASSERT_TRUE(store_->Write(One("a")).ok());
  fs_->SetFull(true);
  absl::Status first = store_->Write(One("b"));
  EXPECT_TRUE(absl::IsUnavailable(first)) << first;
  EXPECT_NE(first.message().find("storage full"), std::string::npos) << first;
  for (int i = 0; i < 20; ++i) {  // would abort on the failed writers before the fix
    absl::Status again = store_->Write(One("c" + std::to_string(i)));
    EXPECT_TRUE(absl::IsUnavailable(again)) << again;
  }
  EXPECT_TRUE(absl::IsUnavailable(store_->Flush()));
  StorageHealth h = store_->Health();
  EXPECT_FALSE(h.writable);
  EXPECT_EQ(h.error, "no_space");
  EXPECT_GT(h.no_space_errors, 0u);
  EXPECT_EQ(*store_->Get(Table::kTokens, "a"), "value-a");  // reads still work
}

TEST_F(RocksFullDiskTest, RecoverStaysRefusingWhileFull) {
  fs_->SetFull(true);
  EXPECT_FALSE(store_->Write(One("b")).ok());
  EXPECT_TRUE(absl::IsUnavailable(store_->Recover()));
  EXPECT_FALSE(store_->Health().writable);
  EXPECT_TRUE(absl::IsUnavailable(store_->Write(One("c"))));
}

TEST_F(RocksFullDiskTest, RecoverAfterSpaceIsFreedKeepsAcknowledgedWrites) {
  ASSERT_TRUE(store_->Write(One("a")).ok());
  fs_->SetFull(true);
  EXPECT_FALSE(store_->Write(One("b")).ok());
  fs_->SetFull(false);
  ASSERT_TRUE(store_->Recover().ok());
  StorageHealth h = store_->Health();
  EXPECT_TRUE(h.writable);
  EXPECT_EQ(h.error, "");
  ASSERT_TRUE(store_->Write(One("c")).ok());
  ASSERT_TRUE(store_->Flush().ok());
  EXPECT_EQ(*store_->Get(Table::kTokens, "a"), "value-a");
  EXPECT_EQ(*store_->Get(Table::kTokens, "c"), "value-c");
  EXPECT_TRUE(absl::IsNotFound(store_->Get(Table::kTokens, "b").status()));  // refused, absent
}

TEST_F(RocksFullDiskTest, FailureAfterFullFlushRecoversWithoutReusingTheFailedWal) {
  // Every memtable empty when the WAL append fails: resuming must still not
  // write through the failed WAL writer again.
  ASSERT_TRUE(store_->Write(One("a")).ok());
  ASSERT_TRUE(store_->Flush().ok());
  fs_->SetFull(true);
  EXPECT_FALSE(store_->Write(One("b")).ok());
  fs_->SetFull(false);
  (void)store_->Recover();
  absl::Status w = store_->Write(One("c"));
  if (!w.ok()) {  // refused is fine; aborting or losing "a" is not
    EXPECT_TRUE(absl::IsUnavailable(w)) << w;
  }
  EXPECT_EQ(*store_->Get(Table::kTokens, "a"), "value-a");
}

}  // namespace
}  // namespace vault::storage
