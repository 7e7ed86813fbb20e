// PgKvStore implementation: every call takes a pool connection through Run(),
// which turns libpqxx exceptions into statuses, keeps the health state, and
// retries once on a new connection when a connection taken from the idle
// list turns out to be dead (before any commit was attempted).
#include "vault/storage/pg_kv_store.h"

#include <pqxx/connection>
#include <pqxx/nontransaction>
#include <pqxx/transaction>

#include <atomic>
#include <functional>
#include <mutex>
#include <optional>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "vault/storage/internal/pg_pool.h"
#include "vault/storage/internal/pg_sql.h"

namespace vault::storage {
namespace {

using internal::PgError;
using internal::PgFailure;
using internal::PgPool;
using SnapshotTx = pqxx::transaction<pqxx::repeatable_read, pqxx::read_only>;

// The session advisory lock of the maintenance lease ("vaultsch" in ASCII).
constexpr int64_t kLeaseLockId = 0x7661756c74736368;

// A REPEATABLE READ READ ONLY transaction on a connection of its own. Its
// first statement ran in GetSnapshot(), so its view is fixed from then on.
class PgSnapshot final : public Snapshot {
 public:
  explicit PgSnapshot(PgPool::Lease lease) : lease_(std::move(lease)) {}
  ~PgSnapshot() override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    tx_.reset();  // aborts the read-only transaction before the lease returns
  }

  // Starts the transaction and pins its view.
  void Begin() {
    tx_ = std::make_unique<SnapshotTx>(lease_.conn());
    tx_->exec("SELECT 1");
  }
  // After a failed Begin(): reads answer UNAVAILABLE, the connection closes.
  void Abandon() {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    tx_.reset();
    lease_.MarkBroken();
  }
  // Runs `fn` in the transaction; a visitor may reenter with this snapshot.
  absl::Status Run(const std::function<void(pqxx::transaction_base&)>& fn) const {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    if (tx_ == nullptr) return absl::UnavailableError("snapshot lost its database connection");
    try {
      fn(*tx_);
      return absl::OkStatus();
    } catch (...) {
      PgError error = internal::ClassifyCurrentException();
      // A failed statement aborts the transaction: the snapshot is gone.
      tx_.reset();
      lease_.MarkBroken();
      return error.status;
    }
  }

 private:
  mutable std::recursive_mutex mu_;
  mutable PgPool::Lease lease_;
  mutable std::unique_ptr<SnapshotTx> tx_;
};

class PgKvStore final : public KvStore {
 public:
  PgKvStore(std::shared_ptr<PgPool> pool, const PgKvOptions& options)
      : pool_(std::move(pool)), options_(options) {}

  // One process per node name (PgKvOptions::node_lock): two processes with
  // one name would hide each other in health and logs.
  absl::Status TakeNodeLock() {
    std::lock_guard<std::mutex> lock(node_mu_);
    return TakeNodeLockLocked();
  }

  // The lock lives in a session: a database restart or a failover (locks
  // are not replicated) ends it. Recover() takes it again.
  void KeepNodeLock() {
    if (options_.node_lock.empty()) return;
    std::lock_guard<std::mutex> lock(node_mu_);
    try {
      if (node_lock_ != nullptr) {
        pqxx::nontransaction tx(*node_lock_);
        tx.exec("SELECT 1");
        return;
      }
    } catch (...) {
      node_lock_.reset();
    }
    (void)TakeNodeLockLocked();  // unreachable, or taken meanwhile: tried next pass
  }

  absl::Status TakeNodeLockLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(node_mu_) {
    try {
      auto conn = std::make_unique<pqxx::connection>(options_.conninfo);
      pqxx::nontransaction tx(*conn);
      const int64_t id = internal::AdvisoryKey("node", Table::kMeta, options_.node_lock);
      const bool taken =
          tx.exec1("SELECT pg_try_advisory_lock(" + std::to_string(id) + ")")[0].as<bool>();
      if (!taken) {
        return absl::FailedPreconditionError(
            Cat("another vaultd node named '", options_.node_lock,
                "' uses this database; give every node its own --node-id"));
      }
      node_lock_ = std::move(conn);
      return absl::OkStatus();
    } catch (const pqxx::broken_connection&) {
      return absl::UnavailableError("cannot connect to the PostgreSQL database");
    } catch (const pqxx::sql_error& e) {
      return absl::InternalError(Cat("PostgreSQL error ", e.sqlstate()));
    }
  }

  absl::Status OpenSchema() {
    int found = 0;
    RETURN_IF_ERROR(Run(
        [&](pqxx::connection& conn) { found = internal::EnsureSchema(conn, kPgSchemaVersion); }));
    if (found > kPgSchemaVersion) {
      return absl::FailedPreconditionError(Cat("the database holds schema version ", found,
                                               "; this build knows up to ", kPgSchemaVersion));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::string> Get(Table table, std::string_view key,
                                  const Snapshot* snapshot) override {
    std::optional<std::string> value;
    RETURN_IF_ERROR(Read(
        snapshot, [&](pqxx::transaction_base& tx) { value = internal::GetIn(tx, table, key); }));
    if (!value.has_value()) return absl::NotFoundError("not found");
    return std::move(*value);
  }

  std::vector<absl::StatusOr<std::string>> MultiGet(Table table, absl::Span<const std::string> keys,
                                                    const Snapshot* snapshot) override {
    std::vector<absl::StatusOr<std::string>> out;
    absl::Status st = Read(
        snapshot, [&](pqxx::transaction_base& tx) { out = internal::MultiGetIn(tx, table, keys); });
    if (!st.ok()) out.assign(keys.size(), st);
    return out;
  }

  absl::Status Write(const WriteBatch& batch, const WriteOptions& options) override {
    const WriteBatch* one = &batch;
    return WriteGroup(absl::MakeConstSpan(&one, 1), options);
  }

  absl::Status WriteGroup(absl::Span<const WriteBatch* const> batches,
                          const WriteOptions& options) override {
    bool expected = true;
    RETURN_IF_ERROR(Run([&](pqxx::connection& conn) {
      expected = true;
      pqxx::work tx(conn);
      if (!options.sync) tx.exec("SET LOCAL synchronous_commit TO off");
      bool invalidates = false;
      for (const WriteBatch* b : batches) {
        if (!internal::ExpectationsHold(tx, *b)) {
          expected = false;
          return;  // rolled back when tx goes
        }
        invalidates = invalidates || b->invalidates_caches();
      }
      for (const WriteBatch* b : batches) internal::WriteIn(tx, *b);
      if (invalidates) internal::BumpGeneration(tx);
      tx.commit();
    }));
    if (!expected) return ExpectationFailed();
    NoteWritten();
    return absl::OkStatus();
  }

  // The key's advisory lock is taken first and held to the commit: every
  // node's WriteGroupOn of it runs one after the other, each on the value
  // the previous one committed.
  absl::Status WriteGroupOn(Table table, std::string_view key, const BuildFn& build,
                            absl::Span<const WriteBatch* const> batches,
                            const WriteOptions& options) override {
    absl::Status built = absl::OkStatus();
    RETURN_IF_ERROR(Run([&](pqxx::connection& conn) {
      pqxx::work tx(conn);
      if (!options.sync) tx.exec("SET LOCAL synchronous_commit TO off");
      internal::LockKey(tx, table, key);
      WriteBatch extra;
      built = build(internal::GetIn(tx, table, key), &extra);
      if (!built.ok()) return;  // rolled back when tx goes
      bool invalidates = extra.invalidates_caches();
      for (const WriteBatch* b : batches) {
        if (!internal::ExpectationsHold(tx, *b)) {
          built = ExpectationFailed();
          return;
        }
        invalidates = invalidates || b->invalidates_caches();
      }
      for (const WriteBatch* b : batches) internal::WriteIn(tx, *b);
      internal::WriteIn(tx, extra);
      if (invalidates) internal::BumpGeneration(tx);
      tx.commit();
    }));
    if (!built.ok()) return built;
    NoteWritten();
    return absl::OkStatus();
  }

  absl::Status ScanPrefix(Table table, std::string_view prefix, const Visitor& visitor,
                          const Snapshot* snapshot) override {
    return ScanRange(table, prefix, PrefixSuccessor(prefix), visitor, snapshot);
  }

  absl::Status ScanRange(Table table, std::string_view begin, std::string_view end,
                         const Visitor& visitor, const Snapshot* snapshot) override {
    auto scan = [&](pqxx::transaction_base& tx) {
      internal::ScanIn(tx, table, begin, end, options_.scan_page_rows, visitor);
    };
    if (snapshot != nullptr) return Read(snapshot, scan);
    // Pages of one scan see one state of the table.
    return Run([&](pqxx::connection& conn) {
      SnapshotTx tx(conn);
      scan(tx);
      tx.commit();
    });
  }

  // A snapshot whose transaction could not start answers UNAVAILABLE to
  // every read (GetSnapshot cannot return an error).
  std::shared_ptr<const Snapshot> GetSnapshot() override {
    for (int attempt = 0;; ++attempt) {
      absl::StatusOr<PgPool::Lease> lease = pool_->Acquire();
      if (!lease.ok()) {
        NoteFailure(PgFailure::kConnection);
        return std::make_shared<PgSnapshot>(PgPool::Lease());
      }
      const bool fresh = lease->fresh();
      auto snapshot = std::make_shared<PgSnapshot>(std::move(*lease));
      try {
        snapshot->Begin();
        NoteReached();
        return snapshot;
      } catch (...) {
        const PgFailure failure = internal::ClassifyCurrentException().failure;
        snapshot->Abandon();
        if (failure == PgFailure::kConnection && attempt == 0 && !fresh) continue;
        NoteFailure(failure);
        return snapshot;
      }
    }
  }

  absl::Status Flush() override { return absl::OkStatus(); }

  absl::Status CompactRange(Table, std::string_view, std::string_view) override {
    // VACUUM cannot run inside a transaction block: autocommit.
    return Run([](pqxx::connection& conn) {
      pqxx::nontransaction tx(conn);
      tx.exec("VACUUM vault_kv");
    });
  }

  StoreStats Stats() const override {
    StoreStats s;
    s.writes = writes_.load(std::memory_order_relaxed);
    s.wal_syncs = commits_.load(std::memory_order_relaxed);
    return s;
  }

  StorageHealth Health() const override {
    std::lock_guard<std::mutex> lock(health_mu_);
    return health_;
  }

  bool shared() const override { return true; }

  absl::StatusOr<uint64_t> CacheGeneration() override {
    uint64_t gen = 0;
    RETURN_IF_ERROR(
        Read(nullptr, [&](pqxx::transaction_base& tx) { gen = internal::ReadGeneration(tx); }));
    return gen;
  }

  // The lease is a session advisory lock on a connection of its own: it
  // ends when this process (or that connection) does, and the server then
  // grants it to the next node that asks.
  absl::StatusOr<bool> HoldMaintenanceLease() override {
    std::lock_guard<std::mutex> lock(lease_mu_);
    try {
      if (lease_conn_ == nullptr) {
        auto conn = std::make_unique<pqxx::connection>(options_.conninfo);
        pqxx::nontransaction tx(*conn);
        if (!tx.exec1("SELECT pg_try_advisory_lock(" + std::to_string(kLeaseLockId) + ")")[0]
                 .as<bool>()) {
          return false;  // another node holds it; asked again next pass
        }
        lease_conn_ = std::move(conn);
        return true;
      }
      // Still ours while the session lives: a dead connection lost it.
      pqxx::nontransaction tx(*lease_conn_);
      tx.exec("SELECT 1");
      return true;
    } catch (...) {
      lease_conn_.reset();
      return internal::ClassifyCurrentException().status;
    }
  }

  absl::Status Recover() override {
    KeepNodeLock();
    if (Health().writable) return absl::OkStatus();
    return Run([](pqxx::connection& conn) {
      pqxx::nontransaction tx(conn);
      tx.exec("SELECT 1");
    });
  }

 private:
  using ConnFn = std::function<void(pqxx::connection&)>;

  // Runs `fn` on a pool connection (see the file comment for the retry).
  absl::Status Run(const ConnFn& fn) {
    for (int attempt = 0;; ++attempt) {
      absl::StatusOr<PgPool::Lease> lease = pool_->Acquire();
      if (!lease.ok()) {
        NoteFailure(PgFailure::kConnection);
        return lease.status();
      }
      try {
        fn(lease->conn());
        NoteReached();
        return absl::OkStatus();
      } catch (...) {
        PgError error = internal::ClassifyCurrentException();
        if (error.failure == PgFailure::kConnection || error.failure == PgFailure::kInDoubt) {
          lease->MarkBroken();
          if (error.failure == PgFailure::kConnection && attempt == 0 && !lease->fresh()) {
            continue;
          }
        }
        NoteFailure(error.failure);
        return error.status;
      }
    }
  }

  // Reads through `snapshot`, or as autocommit statements without one.
  absl::Status Read(const Snapshot* snapshot,
                    const std::function<void(pqxx::transaction_base&)>& fn) {
    if (snapshot != nullptr) {
      const auto* pg = dynamic_cast<const PgSnapshot*>(snapshot);
      if (pg == nullptr) return absl::InvalidArgumentError("snapshot of another store");
      return pg->Run(fn);
    }
    return Run([&](pqxx::connection& conn) {
      pqxx::nontransaction tx(conn);
      fn(tx);
    });
  }

  void NoteWritten() {
    writes_.fetch_add(1, std::memory_order_relaxed);
    commits_.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard<std::mutex> lock(health_mu_);
    if (health_.error == "no_space") health_.error.clear();
    health_.writable = health_.error.empty();
  }

  void NoteReached() {
    std::lock_guard<std::mutex> lock(health_mu_);
    if (health_.error == "unavailable") {
      health_.error.clear();
      health_.writable = true;
    }
  }

  void NoteFailure(PgFailure failure) {
    std::lock_guard<std::mutex> lock(health_mu_);
    if (failure == PgFailure::kConnection || failure == PgFailure::kInDoubt) {
      health_.writable = false;
      health_.error = "unavailable";
    } else if (failure == PgFailure::kNoSpace) {
      health_.writable = false;
      health_.error = "no_space";
      ++health_.no_space_errors;
    }
  }

  // Held for the store's life when options_.node_lock is set: a session
  // advisory lock that a second process with the same name finds taken.
  std::mutex node_mu_;
  std::unique_ptr<pqxx::connection> node_lock_ ABSL_GUARDED_BY(node_mu_);
  std::mutex lease_mu_;
  std::unique_ptr<pqxx::connection> lease_conn_ ABSL_GUARDED_BY(lease_mu_);
  const std::shared_ptr<PgPool> pool_;
  const PgKvOptions options_;
  std::atomic<uint64_t> writes_{0};
  std::atomic<uint64_t> commits_{0};
  mutable std::mutex health_mu_;
  StorageHealth health_ ABSL_GUARDED_BY(health_mu_);
};

}  // namespace

absl::StatusOr<std::unique_ptr<KvStore>> OpenPgKvStore(const PgKvOptions& options) {
  if (options.conninfo.empty()) return absl::InvalidArgumentError("empty PostgreSQL conninfo");
  if (options.pool_size == 0) return absl::InvalidArgumentError("pool size must be at least 1");
  if (options.scan_page_rows == 0) return absl::InvalidArgumentError("scan page must be > 0");
  auto pool = std::make_shared<PgPool>(options.conninfo, options.pool_size, options.acquire_timeout,
                                       internal::SetUpConnection);
  auto store = std::make_unique<PgKvStore>(std::move(pool), options);
  RETURN_IF_ERROR(store->OpenSchema());
  if (!options.node_lock.empty()) RETURN_IF_ERROR(store->TakeNodeLock());
  return std::unique_ptr<KvStore>(std::move(store));
}

}  // namespace vault::storage
