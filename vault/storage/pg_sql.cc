// PgKvStore's SQL. Keys and values travel as binary bytea parameters
// (pqxx::binarystring); results come back as bytea text and are decoded by
// libpqxx. MultiGet's key list is one bytea[] parameter in array-literal form
// (hex elements), so a single round trip serves any number of keys.
#include "vault/storage/internal/pg_sql.h"

#include <pqxx/binarystring>
#include <pqxx/except>
#include <pqxx/nontransaction>
#include <pqxx/result>
#include <pqxx/transaction>

#include <map>
#include <string>

#include "base/strings.h"

namespace vault::storage::internal {
namespace {

// One table keyed by kind rather than one per Table value: one set of
// prepared statements and one schema for every record kind, a new Table
// value needs no migration, and a batch over several kinds stays a run of
// the same statements. What is given up: VACUUM and per-table storage
// settings cannot target one kind (CompactRange vacuums everything).
constexpr char kCreateSchema[] =
    "CREATE TABLE IF NOT EXISTS vault_schema ("
    " id integer PRIMARY KEY CHECK (id = 1), version integer NOT NULL);"
    "CREATE TABLE IF NOT EXISTS vault_kv ("
    " kind smallint NOT NULL, k bytea NOT NULL, v bytea NOT NULL,"
    " PRIMARY KEY (kind, k));"
    // Version 2: the cache generation (KvStore::CacheGeneration).
    "CREATE TABLE IF NOT EXISTS vault_generation ("
    " id integer PRIMARY KEY CHECK (id = 1), gen bigint NOT NULL);"
    "INSERT INTO vault_generation (id, gen) VALUES (1, 0) ON CONFLICT DO NOTHING";
// Any constant: serialises schema creation between nodes opening at once.
constexpr char kSchemaLock[] = "SELECT pg_advisory_xact_lock(7265746)";

pqxx::binarystring Bytes(std::string_view s) { return pqxx::binarystring(s.data(), s.size()); }

int Kind(Table table) { return static_cast<int>(table); }

std::string Str(const pqxx::field& f) { return pqxx::binarystring(f).str(); }

// `{"\\x6162",...}`: a bytea[] literal of hex elements (quoted, the
// backslash escaped for the array parser).
std::string ByteaArray(absl::Span<const std::string> keys) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "{";
  for (size_t i = 0; i < keys.size(); ++i) {
    if (i > 0) out += ',';
    out += "\"\\\\x";
    for (unsigned char c : keys[i]) {
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
    out += '"';
  }
  out += '}';
  return out;
}

bool IsConnectionState(const std::string& sqlstate) {
  // 08: connection exception; 57P01-57P03: admin/crash shutdown, cannot
  // connect now; 25006: read-only transaction (connected to a standby).
  return sqlstate.rfind("08", 0) == 0 || sqlstate == "57P01" || sqlstate == "57P02" ||
         sqlstate == "57P03" || sqlstate == "25006";
}

PgError FromSqlState(const std::string& sqlstate) {
  if (IsConnectionState(sqlstate)) {
    return {absl::UnavailableError(Cat("database unavailable (SQLSTATE ", sqlstate, ")")),
            PgFailure::kConnection};
  }
  if (sqlstate == "53100") {
    return {absl::UnavailableError("database storage full (SQLSTATE 53100)"), PgFailure::kNoSpace};
  }
  if (sqlstate == "40001" || sqlstate == "40P01") {
    return {absl::AbortedError(Cat("database transaction conflict (SQLSTATE ", sqlstate, ")")),
            PgFailure::kOther};
  }
  return {absl::InternalError(Cat("database error (SQLSTATE ", sqlstate, ")")), PgFailure::kOther};
}

}  // namespace

PgError ClassifyCurrentException() {
  try {
    throw;
  } catch (const pqxx::in_doubt_error&) {
    return {absl::UnavailableError(
                "database connection lost during commit: outcome unknown (the write may or may "
                "not have been applied)"),
            PgFailure::kInDoubt};
  } catch (const pqxx::broken_connection&) {
    return {absl::UnavailableError("database connection lost"), PgFailure::kConnection};
  } catch (const pqxx::sql_error& e) {
    // e.what() and e.query() may quote parameters: only the SQLSTATE leaves.
    return FromSqlState(e.sqlstate());
  } catch (const std::exception&) {
    return {absl::InternalError("database client error"), PgFailure::kOther};
  }
}

void SetUpConnection(pqxx::connection& conn) {
  conn.prepare("vault_get", "SELECT v FROM vault_kv WHERE kind = $1 AND k = $2");
  conn.prepare("vault_multi_get",
               "SELECT k, v FROM vault_kv WHERE kind = $1 AND k = ANY($2::bytea[])");
  conn.prepare("vault_put",
               "INSERT INTO vault_kv (kind, k, v) VALUES ($1, $2, $3) "
               "ON CONFLICT (kind, k) DO UPDATE SET v = EXCLUDED.v");
  conn.prepare("vault_delete", "DELETE FROM vault_kv WHERE kind = $1 AND k = $2");
  conn.prepare("vault_lock_key", "SELECT pg_advisory_xact_lock($1)");
  conn.prepare("vault_bump_generation", "UPDATE vault_generation SET gen = gen + 1 WHERE id = 1");
  conn.prepare("vault_generation", "SELECT gen FROM vault_generation WHERE id = 1");
  conn.prepare("vault_scan",
               "SELECT k, v FROM vault_kv WHERE kind = $1 AND k >= $2 ORDER BY k LIMIT $3");
  conn.prepare("vault_scan_to",
               "SELECT k, v FROM vault_kv WHERE kind = $1 AND k >= $2 AND k < $3 "
               "ORDER BY k LIMIT $4");
  bool off = false;
  {
    pqxx::nontransaction tx(conn);
    off = tx.exec("SHOW synchronous_commit")[0][0].as<std::string>() == "off";
  }
  // set_variable: libpqxx restores it if it ever reconnects this object.
  if (off) conn.set_variable("synchronous_commit", "on");
}

int EnsureSchema(pqxx::connection& conn, int version) {
  pqxx::work tx(conn);
  tx.exec(kSchemaLock);
  tx.exec(kCreateSchema);
  tx.exec_params("INSERT INTO vault_schema (id, version) VALUES (1, $1) ON CONFLICT DO NOTHING",
                 version);
  // Older versions are upgraded by the statements above (each only adds).
  tx.exec_params("UPDATE vault_schema SET version = $1 WHERE id = 1 AND version < $1", version);
  const int found = tx.exec("SELECT version FROM vault_schema WHERE id = 1")[0][0].as<int>();
  tx.commit();
  return found;
}

std::optional<std::string> GetIn(pqxx::transaction_base& tx, Table table, std::string_view key) {
  const pqxx::result r = tx.exec_prepared("vault_get", Kind(table), Bytes(key));
  if (r.empty()) return std::nullopt;
  return Str(r[0][0]);
}

std::vector<absl::StatusOr<std::string>> MultiGetIn(pqxx::transaction_base& tx, Table table,
                                                    absl::Span<const std::string> keys) {
  std::vector<absl::StatusOr<std::string>> out;
  out.reserve(keys.size());
  if (keys.empty()) return out;
  const pqxx::result r = tx.exec_prepared("vault_multi_get", Kind(table), ByteaArray(keys));
  std::map<std::string, std::string, std::less<>> found;
  for (const pqxx::row& row : r) found.emplace(Str(row[0]), Str(row[1]));
  for (const std::string& key : keys) {
    auto it = found.find(key);
    if (it == found.end()) {
      out.emplace_back(absl::NotFoundError("not found"));
    } else {
      out.emplace_back(it->second);
    }
  }
  return out;
}

void ScanIn(pqxx::transaction_base& tx, Table table, std::string_view begin, std::string_view end,
            size_t page_rows, const KvStore::Visitor& visitor) {
  std::string from(begin);
  while (true) {
    const pqxx::result r =
        end.empty()
            ? tx.exec_prepared("vault_scan", Kind(table), Bytes(from), page_rows)
            : tx.exec_prepared("vault_scan_to", Kind(table), Bytes(from), Bytes(end), page_rows);
    std::string last;
    for (const pqxx::row& row : r) {
      last = Str(row[0]);
      const std::string value = Str(row[1]);
      if (!visitor(last, value)) return;
    }
    if (r.size() < page_rows) return;
    // The smallest key after `last` in bytewise order.
    from = std::move(last);
    from.push_back('\0');
  }
}

int64_t AdvisoryKey(std::string_view domain, Table table, std::string_view key) {
  // FNV-1a, 64 bits: the same number on every node and every build.
  uint64_t h = 0xcbf29ce484222325ULL;
  auto mix = [&h](unsigned char c) {
    h ^= c;
    h *= 0x100000001b3ULL;
  };
  for (char c : domain) mix(static_cast<unsigned char>(c));
  mix(static_cast<unsigned char>(table));
  for (char c : key) mix(static_cast<unsigned char>(c));
  return static_cast<int64_t>(h);
}

void LockKey(pqxx::transaction_base& tx, Table table, std::string_view key) {
  tx.exec_prepared("vault_lock_key", AdvisoryKey("expect", table, key));
}

bool ExpectationsHold(pqxx::transaction_base& tx, const WriteBatch& batch) {
  for (const WriteBatch::Expectation& e : batch.expectations()) {
    // Held until the transaction ends: the next writer expecting this key
    // waits for this one's commit, then reads what it wrote.
    LockKey(tx, e.table, e.key);
    const std::optional<std::string> found = GetIn(tx, e.table, e.key);
    if (found != e.value) return false;
  }
  return true;
}

void BumpGeneration(pqxx::transaction_base& tx) { tx.exec_prepared("vault_bump_generation"); }

uint64_t ReadGeneration(pqxx::transaction_base& tx) {
  return tx.exec_prepared("vault_generation")[0][0].as<uint64_t>();
}

void WriteIn(pqxx::transaction_base& tx, const WriteBatch& batch) {
  for (const WriteBatch::Op& op : batch.ops()) {
    if (op.kind == WriteBatch::OpKind::kPut) {
      tx.exec_prepared("vault_put", Kind(op.table), Bytes(op.key), Bytes(op.value));
    } else {
      tx.exec_prepared("vault_delete", Kind(op.table), Bytes(op.key));
    }
  }
}

}  // namespace vault::storage::internal
