// KvStore: the small key-value interface the domain stores everything through
// (get, multi-get, atomic write batch, prefix scan, snapshot, flush, compact).
// Thread-safety: implementations are safe for concurrent use from any thread.
// It stores bytes it is given; callers never hand it plaintext personal data.
#ifndef VAULT_STORAGE_KV_STORE_H_
#define VAULT_STORAGE_KV_STORE_H_

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace vault::storage {

// One table per record kind (a RocksDB column family each).
enum class Table : uint8_t {
  kMeta = 0,         // roles, principals, API-key hashes
  kSubjectKeys = 1,  // wrapped subject data keys (DEKs)
  kFields = 2,       // encrypted subject fields
  kTokens = 3,       // token records
  kBlindIndex = 4,   // keyed-hash search index
  kAudit = 5,        // audit chain
  kLedger = 6,       // shred ledger
};
inline constexpr size_t kTableCount = 7;
inline constexpr std::array<Table, kTableCount> kAllTables = {
    Table::kMeta,       Table::kSubjectKeys, Table::kFields, Table::kTokens,
    Table::kBlindIndex, Table::kAudit,       Table::kLedger};

// Stable names (column family names on disk).
std::string_view TableName(Table table);

// A set of puts and deletes applied all together or not at all.
class WriteBatch {
 public:
  enum class OpKind : uint8_t { kPut, kDelete };
  struct Op {
    OpKind kind;
    Table table;
    std::string key;
    std::string value;
  };

  void Put(Table table, std::string_view key, std::string_view value) {
    ops_.push_back({OpKind::kPut, table, std::string(key), std::string(value)});
  }
  // Deleting a subject's data key (an erasure) always invalidates caches:
  // no node may keep opening the subject's records from a cached key.
  void Delete(Table table, std::string_view key) {
    ops_.push_back({OpKind::kDelete, table, std::string(key), {}});
    if (table == Table::kSubjectKeys) invalidates_caches_ = true;
  }
  // Appends every op of `other`, preserving order, with its expectations
  // and its cache mark.
  void Append(const WriteBatch& other) {
    ops_.insert(ops_.end(), other.ops_.begin(), other.ops_.end());
    expectations_.insert(expectations_.end(), other.expectations_.begin(),
                         other.expectations_.end());
    invalidates_caches_ = invalidates_caches_ || other.invalidates_caches_;
  }

  // A precondition: the write applies only if `key` then holds `value`
  // (nullopt: is absent); otherwise it fails with ABORTED and nothing of it
  // is written. Checked atomically with the write against every other write
  // that carries expectations (on a shared store, from any node): a
  // compare-and-set for records several writers advance (the audit head,
  // the keyring).
  struct Expectation {
    Table table;
    std::string key;
    std::optional<std::string> value;
  };
  void Expect(Table table, std::string_view key, std::optional<std::string> value) {
    expectations_.push_back({table, std::string(key), std::move(value)});
  }
  // The write changes what other nodes may hold in a cache (a principal, a
  // role, a subject's key, the keyring): a shared store advances its cache
  // generation in the same atomic write (KvStore::CacheGeneration).
  void MarkInvalidatesCaches() { invalidates_caches_ = true; }

  const std::vector<Op>& ops() const { return ops_; }
  const std::vector<Expectation>& expectations() const { return expectations_; }
  bool invalidates_caches() const { return invalidates_caches_; }
  bool empty() const { return ops_.empty(); }
  size_t size() const { return ops_.size(); }

 private:
  std::vector<Op> ops_;
  std::vector<Expectation> expectations_;
  bool invalidates_caches_ = false;
};

struct WriteOptions {
  // Durable before returning (WAL fsync; concurrent writers share one sync).
  bool sync = true;
};

// A consistent read view. Release by dropping the last shared_ptr.
class Snapshot {
 public:
  virtual ~Snapshot() = default;
};

// Counters for observing group commit (how many synced writes shared a sync).
struct StoreStats {
  uint64_t writes = 0;     // Write calls that succeeded
  uint64_t wal_syncs = 0;  // WAL fsyncs performed for them
};

// Whether the store accepts writes (for health and metrics). Kinds are a
// fixed set: "" (none), "no_space", "io_error".
struct StorageHealth {
  bool writable = true;           // false: writes are refused until Recover succeeds
  std::string error;              // why not writable: "no_space" or "io_error"
  bool reserve_released = false;  // the data folder's reserve file is gone (space short)
  uint64_t no_space_errors = 0;   // failed storage operations since open, by kind
  uint64_t io_errors = 0;
};

class KvStore {
 public:
  using Visitor = std::function<bool(std::string_view key, std::string_view value)>;

  virtual ~KvStore() = default;

  // NOT_FOUND when absent.
  [[nodiscard]] virtual absl::StatusOr<std::string> Get(Table table, std::string_view key,
                                                        const Snapshot* snapshot = nullptr) = 0;
  // One result per key, in order; NOT_FOUND entries for absent keys.
  [[nodiscard]] virtual std::vector<absl::StatusOr<std::string>> MultiGet(
      Table table, absl::Span<const std::string> keys, const Snapshot* snapshot = nullptr) = 0;
  // Applies the whole batch atomically; on error nothing of it is visible.
  [[nodiscard]] virtual absl::Status Write(const WriteBatch& batch,
                                           const WriteOptions& options = {}) = 0;
  // Applies several batches as one atomic write (in order).
  [[nodiscard]] virtual absl::Status WriteGroup(absl::Span<const WriteBatch* const> batches,
                                                const WriteOptions& options = {}) {
    WriteBatch merged;
    for (const WriteBatch* b : batches) merged.Append(*b);
    return Write(merged, options);
  }
  // A serialised read-modify-write of one record several writers advance
  // (the audit chain's head): with `key` locked against every other
  // WriteGroupOn of it (on a shared store, from any node), reads its value
  // (nullopt: absent), calls `build` with it to fill `extra`, and applies
  // `batches` then `extra` as one atomic write. Nothing is written when
  // `build` fails (its error is returned). `build` may be called more than
  // once (a retry on a new connection), each time with a fresh `extra`.
  using BuildFn =
      std::function<absl::Status(const std::optional<std::string>& current, WriteBatch* extra)>;
  [[nodiscard]] virtual absl::Status WriteGroupOn(Table table, std::string_view key,
                                                  const BuildFn& build,
                                                  absl::Span<const WriteBatch* const> batches,
                                                  const WriteOptions& options = {});
  // Calls `visitor` for every key beginning with `prefix`, in key order,
  // until it returns false.
  [[nodiscard]] virtual absl::Status ScanPrefix(Table table, std::string_view prefix,
                                                const Visitor& visitor,
                                                const Snapshot* snapshot = nullptr) = 0;
  // Calls `visitor` for every key in [begin, end) (empty end = unbounded),
  // in key order, until it returns false.
  [[nodiscard]] virtual absl::Status ScanRange(Table table, std::string_view begin,
                                               std::string_view end, const Visitor& visitor,
                                               const Snapshot* snapshot = nullptr) = 0;
  [[nodiscard]] virtual std::shared_ptr<const Snapshot> GetSnapshot() = 0;
  // Persists memtables to table files.
  [[nodiscard]] virtual absl::Status Flush() = 0;
  // Rewrites [begin, end) of `table` (empty = unbounded) so deleted entries
  // leave the live files.
  [[nodiscard]] virtual absl::Status CompactRange(Table table, std::string_view begin,
                                                  std::string_view end) = 0;
  // Writes a consistent copy of the whole store into `dir` (which must not
  // exist): table files hard-linked where possible, the WAL flushed first.
  // UNIMPLEMENTED for stores without files.
  [[nodiscard]] virtual absl::Status CreateCheckpoint(const std::string& dir) {
    (void)dir;
    return absl::UnimplementedError("this store cannot make checkpoints");
  }
  // Counters since open.
  virtual StoreStats Stats() const = 0;
  // After a failed write (disk full, I/O error) the store refuses writes
  // fast with UNAVAILABLE until it has recovered; this reports that state.
  // Stores that cannot fail this way are always writable.
  virtual StorageHealth Health() const { return {}; }
  // Tries to make a refusing store writable again (rate-limited by the
  // store; writes also try it) and to restore its reserve file. OK when
  // writable. Safe to call often, from any thread.
  [[nodiscard]] virtual absl::Status Recover() { return absl::OkStatus(); }

  // Several vaultd nodes (processes) write this store at once (PostgreSQL):
  // the keyring lives in it, and caches are validated through
  // CacheGeneration. False for stores one process owns.
  virtual bool shared() const { return false; }
  // A number that changes whenever a write marked invalidates_caches
  // commits, on any node. A node that sees it change drops its caches.
  // Stores one process owns return 0 always (nothing else can change them).
  [[nodiscard]] virtual absl::StatusOr<uint64_t> CacheGeneration() { return uint64_t{0}; }
  // Whether this process holds the maintenance lease: one node of a shared
  // store runs the scheduler (due erasures, retention, epochs, job
  // resumption). The lease ends with its holder (its connection); callers
  // ask again on every pass, so another node takes it over. Stores one
  // process owns always grant it.
  [[nodiscard]] virtual absl::StatusOr<bool> HoldMaintenanceLease() { return true; }

 private:
  std::mutex serial_mu_;  // the default WriteGroupOn: one process, one lock
};

// ABORTED: an expectation of the write did not hold (WriteBatch::Expect).
absl::Status ExpectationFailed();
bool IsExpectationFailed(const absl::Status& status);

// The smallest key greater than every key with `prefix` ("" if none exists).
std::string PrefixSuccessor(std::string_view prefix);

}  // namespace vault::storage

#endif  // VAULT_STORAGE_KV_STORE_H_
