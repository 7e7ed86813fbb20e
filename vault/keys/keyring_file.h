// KeyringFile: durable storage of the Keyring record (wrapped root key, tenant
// KEKs, seal configuration) outside RocksDB, in two slot files that are
// overwritten in place. Every Store writes the new keyring into both slots,
// one after the other, each fsynced, and never shrinks a slot (zero padding),
// so once Store returns no slot still holds bytes of an older keyring, e.g. a
// destroyed KEK. A crash mid-Store leaves one intact slot: the newest valid
// generation wins on Load.
// Thread-safety: not thread-safe; the owner (KeyHierarchy) serialises calls.
// Holds only wrapped keys; never writes an unwrapped key.
#ifndef VAULT_KEYS_KEYRING_FILE_H_
#define VAULT_KEYS_KEYRING_FILE_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "base/env.h"
#include "vault/keys/keyring_store.h"
#include "vault/model/records.pb.h"

namespace vault {

class KeyringFile final : public KeyringStore {
 public:
  // `dir` must exist. Slots are dir/keyring.0 and dir/keyring.1, read and
  // written through `env` (not owned; tests inject faults there).
  KeyringFile(std::string dir, base::Env* env) : dir_(std::move(dir)), env_(env) {}

  // The newest valid keyring, or nullopt when neither slot exists.
  // DATA_LOSS when slots exist but none is valid.
  [[nodiscard]] absl::StatusOr<std::optional<records::Keyring>> Load() const override;

  // Writes `keyring` (its generation must exceed the stored one) to both
  // slots, the one not holding the newest keyring first. OK once that first
  // slot is durable: the change has then happened. If the second slot cannot
  // be written, it keeps the older keyring until the next Store, and
  // second_slot_stale() says so.
  [[nodiscard]] absl::Status Store(const records::Keyring& keyring) override;

  bool second_slot_stale() const override { return second_slot_stale_; }
  std::string SlotPath(int slot) const;

 private:
  absl::Status WriteSlot(const std::string& path, const std::string& image, bool* created);

  std::string dir_;
  base::Env* env_;
  bool second_slot_stale_ = false;
};

}  // namespace vault

#endif  // VAULT_KEYS_KEYRING_FILE_H_
