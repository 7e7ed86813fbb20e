// KeyringStore: where the Keyring record (wrapped root key, tenant KEKs,
// seal configuration, audit anchor) is kept. KeyringFile keeps it in two
// slot files beside RocksDB; KvKeyring keeps it in the vault's store, for
// stores several nodes share (PostgreSQL), where every node must see one
// keyring.
// Thread-safety: not thread-safe; the owner (KeyHierarchy) serialises calls.
// Holds only wrapped keys; never an unwrapped key.
#ifndef VAULT_KEYS_KEYRING_STORE_H_
#define VAULT_KEYS_KEYRING_STORE_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "vault/model/records.pb.h"
#include "vault/storage/kv_store.h"

namespace vault {

class KeyringStore {
 public:
  virtual ~KeyringStore() = default;
  // The newest stored keyring, or nullopt when none was ever stored.
  // DATA_LOSS when one is stored but unreadable.
  [[nodiscard]] virtual absl::StatusOr<std::optional<records::Keyring>> Load() const = 0;
  // Stores `keyring` (its generation above the stored one's). A store
  // shared between nodes fails with ABORTED (storage::IsExpectationFailed)
  // when another node stored a keyring since this one's last Load or Store:
  // nothing is written, and the caller reloads.
  [[nodiscard]] virtual absl::Status Store(const records::Keyring& keyring) = 0;
  // After Store: bytes of an older keyring may still be held where this
  // store can reach them (KeyringFile: its second slot).
  virtual bool second_slot_stale() const { return false; }
  // After a Store that destroyed keys: asks the store to drop older
  // versions of the record it can reach (PostgreSQL: VACUUM).
  [[nodiscard]] virtual absl::Status Purge() { return absl::OkStatus(); }
};

// The keyring as one record in `kv` (Table::kMeta), written with an
// expectation of the last image this object loaded or stored (a
// compare-and-set across nodes) and, unless only its audit anchor changed,
// marked as invalidating other nodes' caches, so every node reloads it on
// its next request.
class KvKeyring final : public KeyringStore {
 public:
  explicit KvKeyring(storage::KvStore* kv) : kv_(kv) {}
  static std::string RecordKey();

  absl::StatusOr<std::optional<records::Keyring>> Load() const override;
  absl::Status Store(const records::Keyring& keyring) override;
  absl::Status Purge() override;

 private:
  storage::KvStore* kv_;
  mutable std::optional<std::string> image_;  // what this node last saw stored
};

}  // namespace vault

#endif  // VAULT_KEYS_KEYRING_STORE_H_
