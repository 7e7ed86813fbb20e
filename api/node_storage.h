// Internal to vaultd: where this node keeps the vault's records (RocksDB in
// the data folder, or PostgreSQL with --postgres) and its name in health.
#ifndef VAULT_API_NODE_STORAGE_H_
#define VAULT_API_NODE_STORAGE_H_

#include <string>

#include "absl/status/status.h"
#include "api/config.pb.h"
#include "api/request_handler.h"
#include "vault/vault.h"

namespace vault::api {

struct NodeStorageFlags {
  std::string postgres;  // --postgres CONNINFO
  std::string node_id;   // --node-id NAME
};

// With a PostgreSQL conninfo (the flag, else the config's `postgres`), opens
// that database as this node's store into options->kv, as the database's
// only node; sets handler_options->storage ("postgres" or "rocksdb") and
// ->node_id (the flag, the config's, else the host name). INVALID_ARGUMENT
// for a malformed node id; the store's error when it cannot be opened.
[[nodiscard]] absl::Status ResolveNodeStorage(const NodeStorageFlags& flags,
                                              const v1::ServerConfig& config, VaultOptions* options,
                                              HandlerOptions* handler_options);

}  // namespace vault::api

#endif  // VAULT_API_NODE_STORAGE_H_
