// Argon2id: stretches an operator's passphrase into a 32-byte unseal key.
// Thread-safety: stateless; each call uses `memory_limit` bytes of RAM.
// Never log the passphrase or the derived key.
#ifndef VAULT_CRYPTO_PASSPHRASE_H_
#define VAULT_CRYPTO_PASSPHRASE_H_

#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"
#include "crypto/secret_bytes.h"

namespace vault::crypto {

struct Argon2idParams {
  static constexpr size_t kSaltSize = 16;
  // Defaults: libsodium's "moderate" profile (3 passes, 256 MiB).
  uint64_t ops_limit = 3;
  uint64_t memory_limit = 256ULL << 20;

  // The smallest parameters libsodium accepts; for tests only.
  static Argon2idParams MinimumForTesting();
};

// Derives `size` bytes from `passphrase` and a 16-byte `salt`. INVALID_ARGUMENT
// for an empty passphrase, a wrong-sized salt or parameters below libsodium's
// minimum; RESOURCE_EXHAUSTED when the memory cannot be had.
[[nodiscard]] absl::StatusOr<SecretBytes> DeriveKeyFromPassphrase(std::string_view passphrase,
                                                                  std::string_view salt,
                                                                  const Argon2idParams& params,
                                                                  size_t size);

}  // namespace vault::crypto

#endif  // VAULT_CRYPTO_PASSPHRASE_H_
