// Node storage: RocksDB or PostgreSQL, and the node's name.
#include "api/node_storage.h"

#include <unistd.h>

#include <array>

#include "base/strings.h"
#include "spdlog/spdlog.h"
#include "vault/storage/pg_kv_store.h"

namespace vault::api {
namespace {

bool ValidNodeId(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '_' || c == '.')) {
      return false;
    }
  }
  return true;
}

std::string HostName() {
  std::array<char, 256> name{};
  if (::gethostname(name.data(), name.size() - 1) != 0) return "vaultd";
  return name.data();
}

}  // namespace

absl::Status ResolveNodeStorage(const NodeStorageFlags& flags, const v1::ServerConfig& config,
                                VaultOptions* options, HandlerOptions* handler_options) {
  std::string node_id = !flags.node_id.empty() ? flags.node_id : config.node_id();
  if (node_id.empty()) node_id = HostName();
  if (!ValidNodeId(node_id)) {
    return absl::InvalidArgumentError("--node-id must be 1-64 letters, digits, '-', '_' or '.'");
  }
  handler_options->node_id = node_id;
  const std::string conninfo = !flags.postgres.empty() ? flags.postgres : config.postgres();
  if (conninfo.empty()) {
    handler_options->storage = "rocksdb";
    return absl::OkStatus();
  }
  storage::PgKvOptions pg;
  pg.conninfo = conninfo;
  pg.node_lock = node_id;
  absl::StatusOr<std::unique_ptr<storage::KvStore>> kv = storage::OpenPgKvStore(pg);
  if (!kv.ok()) {  // the conninfo may hold a password: never echoed
    return absl::Status(kv.status().code(),
                        Cat("cannot open the PostgreSQL store: ", kv.status().message()));
  }
  options->kv = std::move(*kv);
  handler_options->storage = "postgres";
  spdlog::info("storage: PostgreSQL (node {})", node_id);
  return absl::OkStatus();
}

}  // namespace vault::api
