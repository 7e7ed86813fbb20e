// RocksKvStore implementation. Translates rocksdb::Status to absl::Status in
// one function; never logs keys or values.
#include "vault/storage/rocks_kv_store.h"

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/file_system.h>
#include <rocksdb/options.h>
#include <rocksdb/slice.h>
#include <rocksdb/statistics.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>

#include <vector>

namespace vault::storage {
namespace {

absl::Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return absl::OkStatus();
  std::string msg = std::string(what) + ": " + s.ToString();
  switch (s.code()) {
    case rocksdb::Status::kNotFound: return absl::NotFoundError(msg);
    case rocksdb::Status::kCorruption: return absl::DataLossError(msg);
    case rocksdb::Status::kInvalidArgument: return absl::InvalidArgumentError(msg);
    case rocksdb::Status::kBusy:
    case rocksdb::Status::kTryAgain:
    case rocksdb::Status::kIOError:
    case rocksdb::Status::kTimedOut: return absl::UnavailableError(msg);
    default: return absl::InternalError(msg);
  }
}

rocksdb::Slice ToSlice(std::string_view s) { return {s.data(), s.size()}; }

class RocksSnapshot final : public Snapshot {
 public:
  RocksSnapshot(rocksdb::DB* db, const rocksdb::Snapshot* snapshot)
      : db_(db), snapshot_(snapshot) {}
  ~RocksSnapshot() override { db_->ReleaseSnapshot(snapshot_); }
  const rocksdb::Snapshot* get() const { return snapshot_; }

 private:
  rocksdb::DB* db_;
  const rocksdb::Snapshot* snapshot_;
};

class RocksKvStore final : public KvStore {
 public:
  RocksKvStore(std::unique_ptr<rocksdb::Env> env, std::unique_ptr<rocksdb::DB> db,
               std::vector<rocksdb::ColumnFamilyHandle*> handles,
               std::shared_ptr<rocksdb::Statistics> statistics)
      : env_(std::move(env)), db_(std::move(db)), handles_(std::move(handles)),
        statistics_(std::move(statistics)) {}

  ~RocksKvStore() override {
    for (rocksdb::ColumnFamilyHandle* h : handles_) (void)db_->DestroyColumnFamilyHandle(h);
    (void)db_->Close();
    db_.reset();
  }

  absl::StatusOr<std::string> Get(Table table, std::string_view key,
                                  const Snapshot* snapshot) override {
    rocksdb::ReadOptions ro = ReadOptionsFor(snapshot);
    std::string value;
    rocksdb::Status s = db_->Get(ro, handle(table), ToSlice(key), &value);
    if (s.IsNotFound()) return absl::NotFoundError("key not found");
    if (!s.ok()) return FromRocks(s, "get");
    return value;
  }

  std::vector<absl::StatusOr<std::string>> MultiGet(Table table,
                                                    absl::Span<const std::string> keys,
                                                    const Snapshot* snapshot) override {
    rocksdb::ReadOptions ro = ReadOptionsFor(snapshot);
    std::vector<rocksdb::Slice> slices;
    slices.reserve(keys.size());
    for (const std::string& k : keys) slices.emplace_back(k);
    std::vector<rocksdb::PinnableSlice> values(keys.size());
    std::vector<rocksdb::Status> statuses(keys.size());
    db_->MultiGet(ro, handle(table), keys.size(), slices.data(), values.data(), statuses.data());
    std::vector<absl::StatusOr<std::string>> out;
    out.reserve(keys.size());
    for (size_t i = 0; i < keys.size(); ++i) {
      if (statuses[i].IsNotFound()) {
        out.emplace_back(absl::NotFoundError("key not found"));
      } else if (!statuses[i].ok()) {
        out.emplace_back(FromRocks(statuses[i], "multi-get"));
      } else {
        out.emplace_back(values[i].ToString());
      }
    }
    return out;
  }

  absl::Status Write(const WriteBatch& batch, const WriteOptions& options) override {
    const WriteBatch* one[] = {&batch};
    return WriteGroup(one, options);
  }

  absl::Status WriteGroup(absl::Span<const WriteBatch* const> batches,
                          const WriteOptions& options) override {
    rocksdb::WriteBatch wb;
    for (const WriteBatch* batch : batches) {
      for (const WriteBatch::Op& op : batch->ops()) {
        rocksdb::Status s = op.kind == WriteBatch::OpKind::kPut
                                ? wb.Put(handle(op.table), op.key, op.value)
                                : wb.Delete(handle(op.table), op.key);
        if (!s.ok()) return FromRocks(s, "batch");
      }
    }
    rocksdb::WriteOptions wo;
    wo.sync = options.sync;
    return FromRocks(db_->Write(wo, &wb), "write");
  }

  absl::Status ScanPrefix(Table table, std::string_view prefix, const Visitor& visitor,
                          const Snapshot* snapshot) override {
    rocksdb::ReadOptions ro = ReadOptionsFor(snapshot);
    std::string upper = PrefixSuccessor(prefix);
    rocksdb::Slice upper_slice(upper);
    if (!upper.empty()) ro.iterate_upper_bound = &upper_slice;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, handle(table)));
    for (it->Seek(ToSlice(prefix)); it->Valid(); it->Next()) {
      rocksdb::Slice k = it->key();
      if (!k.starts_with(ToSlice(prefix))) break;
      rocksdb::Slice v = it->value();
      if (!visitor({k.data(), k.size()}, {v.data(), v.size()})) break;
    }
    return FromRocks(it->status(), "scan");
  }

  absl::Status ScanRange(Table table, std::string_view begin, std::string_view end,
                         const Visitor& visitor, const Snapshot* snapshot) override {
    rocksdb::ReadOptions ro = ReadOptionsFor(snapshot);
    rocksdb::Slice upper_slice = ToSlice(end);
    if (!end.empty()) ro.iterate_upper_bound = &upper_slice;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, handle(table)));
    for (it->Seek(ToSlice(begin)); it->Valid(); it->Next()) {
      rocksdb::Slice k = it->key();
      rocksdb::Slice v = it->value();
      if (!visitor({k.data(), k.size()}, {v.data(), v.size()})) break;
    }
    return FromRocks(it->status(), "scan");
  }

  std::shared_ptr<const Snapshot> GetSnapshot() override {
    return std::make_shared<RocksSnapshot>(db_.get(), db_->GetSnapshot());
  }

  absl::Status Flush() override {
    rocksdb::FlushOptions fo;
    fo.wait = true;
    rocksdb::Status s = db_->Flush(fo, handles_);
    if (!s.ok()) return FromRocks(s, "flush");
    return FromRocks(db_->FlushWAL(/*sync=*/true), "flush wal");
  }

  absl::Status CreateCheckpoint(const std::string& dir) override {
    rocksdb::Checkpoint* raw = nullptr;
    if (absl::Status s = FromRocks(rocksdb::Checkpoint::Create(db_.get(), &raw), "checkpoint");
        !s.ok()) {
      return s;
    }
    std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
    // log_size_for_flush 0: flush the memtables so the copy needs no WAL replay.
    return FromRocks(checkpoint->CreateCheckpoint(dir, /*log_size_for_flush=*/0), "checkpoint");
  }

  StoreStats Stats() const override {
    return StoreStats{statistics_->getTickerCount(rocksdb::WRITE_DONE_BY_SELF) +
                          statistics_->getTickerCount(rocksdb::WRITE_DONE_BY_OTHER),
                      statistics_->getTickerCount(rocksdb::WAL_FILE_SYNCED)};
  }

  absl::Status CompactRange(Table table, std::string_view begin, std::string_view end) override {
    rocksdb::CompactRangeOptions co;
    co.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
    rocksdb::Slice b = ToSlice(begin), e = ToSlice(end);
    return FromRocks(db_->CompactRange(co, handle(table), begin.empty() ? nullptr : &b,
                                       end.empty() ? nullptr : &e),
                     "compact");
  }

 private:
  rocksdb::ColumnFamilyHandle* handle(Table table) const {
    return handles_[static_cast<size_t>(table) + 1];  // [0] is "default"
  }
  static rocksdb::ReadOptions ReadOptionsFor(const Snapshot* snapshot) {
    rocksdb::ReadOptions ro;
    if (snapshot != nullptr) ro.snapshot = static_cast<const RocksSnapshot*>(snapshot)->get();
    return ro;
  }

  std::unique_ptr<rocksdb::Env> env_;  // outlives db_ (declared first)
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::shared_ptr<rocksdb::Statistics> statistics_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<KvStore>> OpenRocksKvStore(const RocksKvOptions& options) {
  if (options.path.empty()) return absl::InvalidArgumentError("database path is empty");
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.paranoid_checks = true;
  // A torn last WAL record (crash mid-write) is dropped; everything acknowledged
  // before it is recovered.
  db_options.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  db_options.max_background_jobs = 2;
  db_options.keep_log_file_num = 4;
  // Concurrent synced writers: the next group writes the WAL while the
  // previous one inserts into the memtable.
  db_options.enable_pipelined_write = true;
  // Tickers only (no timers): counts writes and WAL syncs for group commit.
  db_options.statistics = rocksdb::CreateDBStatistics();
  db_options.statistics->set_stats_level(rocksdb::StatsLevel::kExceptTimers);
  std::unique_ptr<rocksdb::Env> env;
  if (options.file_system != nullptr) {
    env = rocksdb::NewCompositeEnv(options.file_system);
    db_options.env = env.get();
  }

  rocksdb::ColumnFamilyOptions cf_options;
  // Values are AEAD ciphertexts and do not compress; compression would only
  // cost CPU (and hide bytes from the no-plaintext scans' controls).
  cf_options.compression = rocksdb::kNoCompression;
  cf_options.bottommost_compression = rocksdb::kNoCompression;
  // Smaller memtables keep skiplist inserts in cache: with random token keys
  // every insert walks the whole list, and 64 MiB lists miss L3.
  cf_options.write_buffer_size = options.write_buffer_bytes;
  cf_options.max_write_buffer_number = 4;
  // A lookup probes every memtable (active and not yet flushed); a whole-key
  // bloom filter per memtable skips those without the key.
  cf_options.memtable_whole_key_filtering = true;
  cf_options.memtable_prefix_bloom_size_ratio = 0.05;
  rocksdb::BlockBasedTableOptions table_options;
  table_options.block_cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  // Point lookups (token, field, key records) skip table files without the
  // key instead of searching each overlapping level-0 file.
  table_options.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  cf_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table_options));

  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  descriptors.emplace_back(rocksdb::kDefaultColumnFamilyName, cf_options);
  for (Table t : kAllTables) descriptors.emplace_back(std::string(TableName(t)), cf_options);

  rocksdb::DB* raw = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::Status s = rocksdb::DB::Open(db_options, options.path, descriptors, &handles, &raw);
  if (!s.ok()) {
    if (s.IsIOError() && s.ToString().find("lock") != std::string::npos) {
      return absl::UnavailableError("database is in use by another process");
    }
    return FromRocks(s, "open");
  }
  return std::unique_ptr<KvStore>(
      new RocksKvStore(std::move(env), std::unique_ptr<rocksdb::DB>(raw), std::move(handles),
                       db_options.statistics));
}

}  // namespace vault::storage
