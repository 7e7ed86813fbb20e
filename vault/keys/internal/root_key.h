// RootKey: the key at the top of the hierarchy, which wraps everything else
// in the keyring (the signing seed, the system secret, tenant KEKs and
// subkey roots). Two kinds: a software key held in locked memory (the file
// root: the key itself is wrapped under an unseal key), and a key object
// inside a PKCS#11 token whose bytes the vault never sees.
// Thread-safety: Wrap and Unwrap are safe for concurrent use.
#ifndef VAULT_INTERNAL_KEYS
#error "vault/keys/internal/ is private to vault_keys; include vault/keys/key_hierarchy.h"
#endif
#ifndef VAULT_KEYS_INTERNAL_ROOT_KEY_H_
#define VAULT_KEYS_INTERNAL_ROOT_KEY_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "crypto/pkcs11_token.h"
#include "crypto/random.h"
#include "crypto/secret_bytes.h"

namespace vault::keys_internal {

class RootKey {
 public:
  virtual ~RootKey() = default;
  // `key` sealed under the root, bound to `associated_data`.
  [[nodiscard]] virtual absl::StatusOr<std::string> Wrap(const crypto::SecretBytes& key,
                                                         std::string_view associated_data) = 0;
  // DATA_LOSS when `wrapped` does not authenticate; UNAVAILABLE when a
  // token root cannot be reached.
  [[nodiscard]] virtual absl::StatusOr<crypto::SecretBytes> Unwrap(
      std::string_view wrapped, std::string_view associated_data) = 0;
};

// XChaCha20-Poly1305 under a 32-byte key kept in locked memory.
std::unique_ptr<RootKey> SoftwareRoot(crypto::SecretBytes key, crypto::RandomSource* random);

// AES-256-GCM inside `token` under the key object `key_id` (not owned).
std::unique_ptr<RootKey> TokenRoot(crypto::Pkcs11Token* token, std::string key_id,
                                   crypto::RandomSource* random);

}  // namespace vault::keys_internal

#endif  // VAULT_KEYS_INTERNAL_ROOT_KEY_H_
