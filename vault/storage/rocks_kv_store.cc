// RocksKvStore implementation. Translates rocksdb::Status to absl::Status in
// one function; never logs keys or values. Never writes again through a
// RocksDB file writer that failed: Debian's librocksdb keeps assertions, and
// a second write there aborts the process (see "Disk full" in operations.md).
#include "vault/storage/rocks_kv_store.h"

#include "absl/base/thread_annotations.h"
#include "base/status.h"
#include "base/status_macros.h"
#include "vault/storage/internal/rocks_failure.h"
#include "vault/storage/internal/rocks_options.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/time.h>
#include <unistd.h>

#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/file_system.h>
#include <rocksdb/listener.h>
#include <rocksdb/options.h>
#include <rocksdb/slice.h>
#include <rocksdb/statistics.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <shared_mutex>
#include <vector>

namespace vault::storage {
namespace {

using internal::Classify;
using internal::CreateReserve;
using internal::Failure;
using internal::FailureListener;
using internal::FailureState;
using internal::FileExists;
using internal::FreeBytes;
using internal::FromRocks;
using internal::OpenInfoLog;
using internal::Refusal;

// Key of the WAL pin in the default column family (which holds nothing else).
constexpr char kWalPinKey[] = "wal-pin";

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
               std::shared_ptr<rocksdb::Statistics> statistics,
               std::shared_ptr<FailureState> failure, const RocksKvOptions& options,
               bool reserve_released)
      : env_(std::move(env)),
        db_(std::move(db)),
        handles_(std::move(handles)),
        statistics_(std::move(statistics)),
        failure_(std::move(failure)),
        reserve_path_(options.reserve_path),
        reserve_bytes_(options.reserve_bytes),
        resume_interval_(options.resume_interval),
        reserve_released_(reserve_released) {}

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

  std::vector<absl::StatusOr<std::string>> MultiGet(Table table, absl::Span<const std::string> keys,
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
    // Keeps the unused default family's memtable non-empty: DB::Resume()
    // switches to a new WAL only when some memtable has data, and with all
    // of them empty it would go on writing through the failed WAL writer.
    if (rocksdb::Status s = wb.Put(handles_[0], kWalPinKey, ""); !s.ok()) {
      return FromRocks(s, "batch");
    }
    rocksdb::WriteOptions wo;
    wo.sync = options.sync;
    if (absl::Status r = RecoverIfFailed(); !r.ok()) return r;
    std::shared_lock<std::shared_mutex> gate(gate_);
    if (Failure f = failure_->Get(); f != Failure::kNone) return Refusal(f);
    // Writes with expectations are serialised with each other: check, then
    // write, with no other such write in between.
    std::unique_lock<std::mutex> expecting(expect_mu_, std::defer_lock);
    for (const WriteBatch* batch : batches) {
      for (const WriteBatch::Expectation& e : batch->expectations()) {
        if (!expecting.owns_lock()) expecting.lock();
        std::string value;
        rocksdb::Status got = db_->Get(rocksdb::ReadOptions(), handle(e.table), e.key, &value);
        if (!got.ok() && !got.IsNotFound()) return FromRocks(got, "expectation");
        const bool holds = e.value.has_value() ? got.ok() && value == *e.value : got.IsNotFound();
        if (!holds) return ExpectationFailed();
      }
    }
    return Checked(db_->Write(wo, &wb), "write");
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

  // Flush and checkpoints sync the WAL writer directly: they hold the gate
  // exclusively, so no write can fail that writer meanwhile, and run only
  // while no failure is recorded.
  absl::Status Flush() override {
    if (absl::Status r = RecoverIfFailed(); !r.ok()) return r;
    std::unique_lock<std::shared_mutex> gate(gate_);
    if (Failure f = failure_->Get(); f != Failure::kNone) return Refusal(f);
    rocksdb::FlushOptions fo;
    fo.wait = true;
    // Not the default family: it holds the WAL pin (see WriteGroup).
    std::vector<rocksdb::ColumnFamilyHandle*> tables(handles_.begin() + 1, handles_.end());
    rocksdb::Status s = db_->Flush(fo, tables);
    if (!s.ok()) return Checked(s, "flush");
    return Checked(db_->FlushWAL(/*sync=*/true), "flush wal");
  }

  absl::Status CreateCheckpoint(const std::string& dir) override {
    if (absl::Status r = RecoverIfFailed(); !r.ok()) return r;
    std::unique_lock<std::shared_mutex> gate(gate_);
    if (Failure f = failure_->Get(); f != Failure::kNone) return Refusal(f);
    rocksdb::Checkpoint* raw = nullptr;
    RETURN_IF_ERROR(FromRocks(rocksdb::Checkpoint::Create(db_.get(), &raw), "checkpoint"));
    std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
    // log_size_for_flush 0: flush the memtables so the copy needs no WAL replay.
    absl::Status made =
        Checked(checkpoint->CreateCheckpoint(dir, /*log_size_for_flush=*/0), "checkpoint");
    // The checkpoint flushed every family: put the WAL pin back.
    rocksdb::WriteOptions wo;
    (void)Checked(db_->Put(wo, handles_[0], kWalPinKey, ""), "write");
    return made;
  }

  StoreStats Stats() const override {
    return StoreStats{statistics_->getTickerCount(rocksdb::WRITE_DONE_BY_SELF) +
                          statistics_->getTickerCount(rocksdb::WRITE_DONE_BY_OTHER),
                      statistics_->getTickerCount(rocksdb::WAL_FILE_SYNCED)};
  }

  absl::Status CompactRange(Table table, std::string_view begin, std::string_view end) override {
    if (absl::Status r = RecoverIfFailed(); !r.ok()) return r;
    std::shared_lock<std::shared_mutex> gate(gate_);
    if (Failure f = failure_->Get(); f != Failure::kNone) return Refusal(f);
    rocksdb::CompactRangeOptions co;
    co.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
    rocksdb::Slice b = ToSlice(begin), e = ToSlice(end);
    return Checked(db_->CompactRange(co, handle(table), begin.empty() ? nullptr : &b,
                                     end.empty() ? nullptr : &e),
                   "compact");
  }

  StorageHealth Health() const override {
    StorageHealth h;
    {
      std::lock_guard<std::mutex> lock(failure_->mu);
      h.writable = failure_->failure == Failure::kNone;
      if (failure_->failure == Failure::kNoSpace) h.error = "no_space";
      if (failure_->failure == Failure::kIoError) h.error = "io_error";
      h.no_space_errors = failure_->no_space_errors;
      h.io_errors = failure_->io_errors;
    }
    std::lock_guard<std::mutex> lock(reserve_mu_);
    h.reserve_released = reserve_released_;
    return h;
  }

  absl::Status Recover() override {
    absl::Status s = RecoverIfFailed();
    if (s.ok()) RestoreReserve();
    return s;
  }

 private:
  // A failed storage operation: remember it (writes are refused from now on)
  // unless it is not an I/O problem (bad argument, busy, not found).
  absl::Status Checked(const rocksdb::Status& s, std::string_view what) {
    Failure f = Classify(s);
    if (f != Failure::kNone) return failure_->Record(f);
    return FromRocks(s, what);
  }

  // OK when no failure is recorded. Otherwise at most once per
  // resume_interval_ (other calls get the refusal at once) waits for the
  // writes in flight to leave, then asks RocksDB to resume: it flushes the
  // memtables and switches to a new WAL; the failed writer is not used again.
  absl::Status RecoverIfFailed() {
    Failure f;
    {
      std::lock_guard<std::mutex> lock(failure_->mu);
      f = failure_->failure;
      if (f == Failure::kNone) return absl::OkStatus();
      const auto now = std::chrono::steady_clock::now();
      if (failure_->last_resume != std::chrono::steady_clock::time_point{} &&
          now - failure_->last_resume < resume_interval_) {
        return Refusal(f);
      }
      failure_->last_resume = now;
    }
    std::unique_lock<std::shared_mutex> gate(gate_);
    rocksdb::Status s = db_->Resume();
    if (!s.ok()) {
      Failure again = Classify(s);
      return again == Failure::kNone ? Refusal(f) : failure_->Record(again);
    }
    std::lock_guard<std::mutex> lock(failure_->mu);
    failure_->failure = Failure::kNone;
    failure_->last_resume = {};
    return absl::OkStatus();
  }

  void RestoreReserve() {
    if (reserve_path_.empty()) return;
    std::lock_guard<std::mutex> lock(reserve_mu_);
    if (reserve_released_) reserve_released_ = !CreateReserve(reserve_path_, reserve_bytes_);
  }

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
  std::shared_ptr<FailureState> failure_;
  // Writes, compactions: shared; Resume, Flush (WAL sync), checkpoints:
  // exclusive.
  std::shared_mutex gate_;
  std::mutex expect_mu_;  // serialises writes that carry expectations
  const std::string reserve_path_;
  const uint64_t reserve_bytes_;
  const std::chrono::milliseconds resume_interval_;
  mutable std::mutex reserve_mu_;
  bool reserve_released_ ABSL_GUARDED_BY(reserve_mu_);
};

// The database-wide options: recovery, background work, failure listener.
rocksdb::DBOptions MakeDbOptions(const RocksKvOptions& options,
                                 const std::shared_ptr<FailureState>& failure) {
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.paranoid_checks = true;
  // A torn last WAL record (crash mid-write) is dropped; everything acknowledged
  // before it is recovered.
  db_options.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  // Reuse old WAL files instead of growing new ones: a synced append then
  // rewrites allocated blocks, so fdatasync need not also journal the file's
  // new size (the cost of a durable write at low concurrency).
  db_options.recycle_log_file_num = 4;
  db_options.max_background_jobs = 2;
  db_options.keep_log_file_num = 4;
  // Concurrent synced writers: the next group writes the WAL while the
  // previous one inserts into the memtable.
  db_options.enable_pipelined_write = true;
  // Tickers only (no timers): counts writes and WAL syncs for group commit.
  db_options.statistics = rocksdb::CreateDBStatistics();
  db_options.statistics->set_stats_level(rocksdb::StatsLevel::kExceptTimers);
  // Recovery replays the WAL into memtables without writing table files, so
  // a start on a full disk can open the database.
  db_options.avoid_flush_during_recovery = true;
  // Failures: no automatic resume by RocksDB (it would race with writes and
  // syncs on a failed WAL writer); RocksKvStore::Recover resumes instead.
  db_options.max_bgerror_resume_count = 0;
  db_options.listeners.push_back(std::make_shared<FailureListener>(failure));
  db_options.info_log = OpenInfoLog(options.path);
  return db_options;
}

// The reserve: given up when space is short so the open can succeed.
// Returns whether it is released (absent).
bool PrepareReserve(const RocksKvOptions& options) {
  if (options.reserve_path.empty()) return false;
  if (FileExists(options.reserve_path) && FreeBytes(options.reserve_path) < options.reserve_bytes) {
    ::unlink(options.reserve_path.c_str());
  }
  return !CreateReserve(options.reserve_path, options.reserve_bytes);
}

}  // namespace

absl::StatusOr<std::unique_ptr<KvStore>> OpenRocksKvStore(const RocksKvOptions& options) {
  if (options.path.empty()) return absl::InvalidArgumentError("database path is empty");
  auto failure = std::make_shared<FailureState>();
  rocksdb::DBOptions db_options = MakeDbOptions(options, failure);
  bool reserve_released = PrepareReserve(options);
  std::unique_ptr<rocksdb::Env> env;
  if (options.file_system != nullptr) {
    env = rocksdb::NewCompositeEnv(options.file_system);
    db_options.env = env.get();
  }

  const std::shared_ptr<rocksdb::Cache> cache = internal::MakeBlockCache(options.tuning);
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  descriptors.emplace_back(rocksdb::kDefaultColumnFamilyName,
                           internal::MakeColumnFamilyOptions(options.tuning, cache, false));
  for (Table t : kAllTables) {
    descriptors.emplace_back(
        std::string(TableName(t)),
        internal::MakeColumnFamilyOptions(options.tuning, cache, t == Table::kTokens));
  }

  rocksdb::DB* raw = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::Status s = rocksdb::DB::Open(db_options, options.path, descriptors, &handles, &raw);
  if (Classify(s) == Failure::kNoSpace && !options.reserve_path.empty() &&
      ::unlink(options.reserve_path.c_str()) == 0) {
    reserve_released = true;  // the disk is full: give up the reserve and try once more
    s = rocksdb::DB::Open(db_options, options.path, descriptors, &handles, &raw);
  }
  if (!s.ok()) {
    if (s.IsIOError() && s.ToString().find("lock") != std::string::npos) {
      return absl::UnavailableError("database is in use by another process");
    }
    return FromRocks(s, "open");
  }
  // Failure to persist the OPTIONS file (full disk) leaves the new size in force.
  for (rocksdb::ColumnFamilyHandle* h : handles) {
    (void)raw->SetOptions(
        h, {{"write_buffer_size", std::to_string(options.tuning.write_buffer_bytes)}});
  }
  // The WAL pin (see WriteGroup) from the start; on a full disk this write
  // fails and the store starts refusing writes.
  rocksdb::Status pinned = raw->Put(rocksdb::WriteOptions(), handles[0], kWalPinKey, "");
  if (Classify(pinned) != Failure::kNone) (void)failure->Record(Classify(pinned));
  return std::unique_ptr<KvStore>(
      new RocksKvStore(std::move(env), std::unique_ptr<rocksdb::DB>(raw), std::move(handles),
                       db_options.statistics, std::move(failure), options, reserve_released));
}

}  // namespace vault::storage
