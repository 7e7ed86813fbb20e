// PgKvStore's SQL: the schema, the prepared statements, the queries run
// inside a libpqxx transaction, and the translation of libpqxx exceptions to
// absl::Status (never with keys, values or parameters in the message).
// Thread-safety: functions over a transaction the caller owns.
#ifndef VAULT_INTERNAL_STORAGE
#error "vault/storage/internal/ is private to vault_storage; include vault/storage/pg_kv_store.h"
#endif
#ifndef VAULT_STORAGE_INTERNAL_PG_SQL_H_
#define VAULT_STORAGE_INTERNAL_PG_SQL_H_

#include <pqxx/connection>
#include <pqxx/transaction_base>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "vault/storage/kv_store.h"

namespace vault::storage::internal {

// What a failure says about the connection and the store's health.
enum class PgFailure {
  kConnection,  // the connection is unusable (lost, server shutting down)
  kInDoubt,     // lost during COMMIT: the outcome is unknown
  kNoSpace,     // the server's disk is full
  kOther,       // a statement failed; the connection is still good
};

struct PgError {
  absl::Status status;
  PgFailure failure;
};

// Classifies the exception being handled; call only inside a catch block.
PgError ClassifyCurrentException();

// Registers the prepared statements on a new connection, and turns
// synchronous_commit on for the session when the server has it off.
void SetUpConnection(pqxx::connection& conn);

// Creates the schema when missing (serialised between nodes by an advisory
// lock) and returns the version the database holds.
int EnsureSchema(pqxx::connection& conn, int version);

std::optional<std::string> GetIn(pqxx::transaction_base& tx, Table table, std::string_view key);

std::vector<absl::StatusOr<std::string>> MultiGetIn(pqxx::transaction_base& tx, Table table,
                                                    absl::Span<const std::string> keys);

// Visits [begin, end) (empty end = unbounded) in key order, `page_rows` rows
// per round trip, until the visitor returns false.
void ScanIn(pqxx::transaction_base& tx, Table table, std::string_view begin, std::string_view end,
            size_t page_rows, const KvStore::Visitor& visitor);

// A 64-bit advisory lock key for (domain, table, key), stable across nodes.
int64_t AdvisoryKey(std::string_view domain, Table table, std::string_view key);

// A transaction-scoped advisory lock on (table, key): the lock of
// expectations and of WriteGroupOn, held until the transaction ends.
void LockKey(pqxx::transaction_base& tx, Table table, std::string_view key);

// Takes a transaction-scoped advisory lock per expectation of `batch` and
// checks each against the stored value; false when one does not hold.
bool ExpectationsHold(pqxx::transaction_base& tx, const WriteBatch& batch);

// Advances the cache generation (vault_generation) in `tx`, and reads it.
void BumpGeneration(pqxx::transaction_base& tx);
uint64_t ReadGeneration(pqxx::transaction_base& tx);

// Applies every op of `batch`, in order.
void WriteIn(pqxx::transaction_base& tx, const WriteBatch& batch);

}  // namespace vault::storage::internal

#endif  // VAULT_STORAGE_INTERNAL_PG_SQL_H_
