// PgKvStore: a KvStore on PostgreSQL (15) through libpqxx, for several
// stateless vaultd nodes on one replicated database (issue #15). vaultd
// opens it with --postgres, locked to its --node-id (node_lock).
//
// Layout: one table `vault_kv(kind smallint, k bytea, v bytea,
// primary key (kind, k))` keyed by the Table enum value, `vault_generation`
// (one row: the cache generation) and `vault_schema` holding the schema
// version (created on first open, older versions upgraded in place; a newer
// version is refused with FAILED_PRECONDITION). bytea compares like memcmp (shorter
// first on a common prefix), the order of RocksDB's bytewise comparator, so
// scans return keys in the same order on both stores.
//
// Sharing: several nodes write one database at once (shared() is true).
// A batch's expectations take a transaction-scoped advisory lock per key,
// then read and compare it, all inside the write's transaction; a batch
// marked invalidates_caches advances vault_generation in it;
// CacheGeneration reads it. The maintenance lease is a session advisory
// lock on a connection of its own.
// Semantics: a Write (or WriteGroup) is one transaction; with
// WriteOptions::sync it commits with the server's synchronous_commit (turned
// on for the session if the server has it off), without it with
// `SET LOCAL synchronous_commit TO off`. Get/MultiGet are single autocommit
// statements (MultiGet one `k = ANY($2)` query). Scans page through the
// range in key order inside one REPEATABLE READ READ ONLY transaction. A
// snapshot is a REPEATABLE READ READ ONLY transaction held open, on a pool
// connection of its own, until the last reference to it is dropped (so it
// takes one of the pool's connections for its life).
// Flush is a no-op; CompactRange runs VACUUM on vault_kv (the whole table:
// VACUUM cannot be limited to a key range). VACUUM makes dead row versions'
// space reusable; it does not remove them from the WAL, from archived WAL,
// from replicas' history or from base backups (issue #15 item 2).
// CreateCheckpoint is UNIMPLEMENTED (use the database's own backups).
//
// Errors: no database connection, a lost connection, a server shutting
// down, or no free pool connection within the timeout -> UNAVAILABLE; the
// pool reconnects by itself on the next call (a read, or a write that broke
// before its commit, is retried once at once on a new connection when it
// broke on a connection taken from the idle list). A connection lost during
// COMMIT -> UNAVAILABLE "commit outcome unknown": the batch may or may not
// have been applied (the only case where Write's all-or-nothing is not
// known to the caller). Server disk full -> UNAVAILABLE. Serialisation
// failures -> ABORTED. Other SQL errors -> INTERNAL naming the SQLSTATE.
// Messages never contain keys, values or the SQL parameters.
//
// Health: unlike RocksDB this store does not refuse writes fast after a
// failure; every call tries the database. Health() reports writable=false
// with error "unavailable" (a kind RocksDB never reports: the database could
// not be reached) after a connection failure, until a call or Recover()
// reaches it again, and "no_space" (no_space_errors counts them) after the
// server reported a full disk, until a write succeeds.
// Stats: writes = committed Write calls, wal_syncs = commits (one per Write;
// the server's own group commit is not visible from here).
// Thread-safety: safe for concurrent use from any thread.
#ifndef VAULT_STORAGE_PG_KV_STORE_H_
#define VAULT_STORAGE_PG_KV_STORE_H_

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "vault/storage/kv_store.h"

namespace vault::storage {

// The schema version this code creates and reads.
inline constexpr int kPgSchemaVersion = 2;

struct PgKvOptions {
  // libpq connection string or URI ("host=/run/pg dbname=vault" or
  // "postgresql://..."); several hosts with target_session_attrs=read-write
  // for failover. Set connect_timeout in it to bound connecting to a host
  // that does not answer.
  std::string conninfo;
  // Most connections open at once (snapshots included).
  size_t pool_size = 8;
  // How long a call waits for a free connection before UNAVAILABLE.
  std::chrono::milliseconds acquire_timeout{2000};
  // Rows fetched per round trip by scans.
  size_t scan_page_rows = 512;
  // A name (vaultd's --node-id): refuse to open while another store opened
  // with the same name holds the database (a session advisory lock on a
  // connection of its own, held until the store closes or that connection
  // breaks; Recover() takes it again after a database restart or a
  // failover, which end it). FAILED_PRECONDITION when taken. Empty: no lock.
  std::string node_lock;
};

// Connects, creates the schema if missing and checks its version.
// INVALID_ARGUMENT for an empty conninfo or a zero pool size; UNAVAILABLE when
// the database cannot be reached; FAILED_PRECONDITION when the database holds
// a newer schema version than kPgSchemaVersion.
[[nodiscard]] absl::StatusOr<std::unique_ptr<KvStore>> OpenPgKvStore(const PgKvOptions& options);

}  // namespace vault::storage

#endif  // VAULT_STORAGE_PG_KV_STORE_H_
