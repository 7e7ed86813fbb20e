// Fault injection below RocksDB: a file system whose next WAL append writes
// only part of its bytes and then fails, as a crash or a full disk would.
// After reopening, a batch is visible entirely or not at all, and every
// batch acknowledged before the fault is still there.
#include <gtest/gtest.h>
#include <rocksdb/file_system.h>

#include <atomic>

#include "tests/testing/temp_dir.h"
#include "vault/storage/kv_store.h"
#include "vault/storage/rocks_kv_store.h"

namespace vault::storage {
namespace {

// Tears the next WAL append when armed: writes half the bytes, then fails.
class TearingFileSystem : public rocksdb::FileSystemWrapper {
 public:
  using FileSystemWrapper::FileSystemWrapper;
  const char* Name() const override { return "TearingFileSystem"; }

  void ArmTornWalAppend() { armed_ = true; }
  int tears() const { return tears_; }

  rocksdb::IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = target()->NewWritableFile(name, options, result, dbg);
    if (s.ok() && name.size() > 4 && name.substr(name.size() - 4) == ".log") {
      *result = std::make_unique<TearingFile>(std::move(*result), this);
    }
    return s;
  }

 private:
  class TearingFile : public rocksdb::FSWritableFileOwnerWrapper {
   public:
    TearingFile(std::unique_ptr<rocksdb::FSWritableFile> file, TearingFileSystem* fs)
        : FSWritableFileOwnerWrapper(std::move(file)), fs_(fs) {}
    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                             rocksdb::IODebugContext* dbg) override {
      if (fs_->armed_.exchange(false)) {
        ++fs_->tears_;
        (void)target()->Append(rocksdb::Slice(data.data(), data.size() / 2), options, dbg);
        (void)target()->Sync(options, dbg);
        return rocksdb::IOStatus::IOError("injected torn write");
      }
      return target()->Append(data, options, dbg);
    }
    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                             const rocksdb::DataVerificationInfo&,
                             rocksdb::IODebugContext* dbg) override {
      return Append(data, options, dbg);
    }

   private:
    TearingFileSystem* fs_;
  };

  std::atomic<bool> armed_{false};
  std::atomic<int> tears_{0};
};

WriteBatch BigBatch(int generation) {
  WriteBatch b;
  for (int i = 0; i < 50; ++i) {
    b.Put(Table::kFields, "f" + std::to_string(i), "gen" + std::to_string(generation));
  }
  b.Put(Table::kSubjectKeys, "dek", "gen" + std::to_string(generation));
  return b;
}

TEST(RocksFaultTest, TornWalAppendLeavesBatchAllOrNothing) {
  testing::TempDir dir;
  auto fs = std::make_shared<TearingFileSystem>(rocksdb::FileSystem::Default());
  {
    RocksKvOptions options;
    options.path = dir.Sub("db");
    options.file_system = fs;
    std::unique_ptr<KvStore> store = std::move(*OpenRocksKvStore(options));
    ASSERT_TRUE(store->Write(BigBatch(1)).ok());  // acknowledged
    fs->ArmTornWalAppend();
    absl::Status s = store->Write(BigBatch(2));
    EXPECT_FALSE(s.ok());
    EXPECT_EQ(fs->tears(), 1);
  }
  RocksKvOptions options;
  options.path = dir.Sub("db");
  std::unique_ptr<KvStore> store = std::move(*OpenRocksKvStore(options));
  // Every key holds generation 1: the acknowledged batch survived whole and
  // nothing of the torn one is visible.
  std::string expected = *store->Get(Table::kSubjectKeys, "dek");
  EXPECT_EQ(expected, "gen1");
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(*store->Get(Table::kFields, "f" + std::to_string(i)), expected) << i;
  }
}

}  // namespace
}  // namespace vault::storage
