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

// The advisory lock key of PgKvOptions::sole_node ("vaultd" in ASCII).
constexpr int64_t kSoleNodeLockId = 0x766175'6c7464;

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

  // One node per database until the keyring and the audit chain are shared
  // (issue #15): a second node would fork the chain's head.
  absl::Status TakeSoleNodeLock() {
    try {
      auto conn = std::make_unique<pqxx::connection>(options_.conninfo);
      pqxx::nontransaction tx(*conn);
      const bool taken =
          tx.exec1("SELECT pg_try_advisory_lock(" + std::to_string(kSoleNodeLockId) + ")")[0]
              .as<bool>();
      if (!taken) {
        return absl::FailedPreconditionError(
            "another vaultd node uses this database; several nodes on one database are not "
            "supported yet");
      }
      sole_node_lock_ = std::move(conn);
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
    RETURN_IF_ERROR(Run([&](pqxx::connection& conn) {
      pqxx::work tx(conn);
      if (!options.sync) tx.exec("SET LOCAL synchronous_commit TO off");
      for (const WriteBatch* b : batches) internal::WriteIn(tx, *b);
      tx.commit();
    }));
    writes_.fetch_add(1, std::memory_order_relaxed);
    commits_.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard<std::mutex> lock(health_mu_);
    if (health_.error == "no_space") health_.error.clear();
    health_.writable = health_.error.empty();
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

  absl::Status Recover() override {
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

  // Held for the store's life when options_.sole_node: a session-level
  // advisory lock that a second node's open finds taken.
  std::unique_ptr<pqxx::connection> sole_node_lock_;
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
  if (options.sole_node) RETURN_IF_ERROR(store->TakeSoleNodeLock());
  return std::unique_ptr<KvStore>(std::move(store));
}

}  // namespace vault::storage
