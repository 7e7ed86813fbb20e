// API keys: 256-bit random secrets with a recognisable prefix ("vaultd_") so
// secret scanners find leaked ones; stored only as a keyed hash.
// Thread-safety: pure. Never logs or returns an API key except at issue time.
#ifndef VAULT_KEYS_API_KEYS_H_
#define VAULT_KEYS_API_KEYS_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "crypto/random.h"
#include "crypto/secret_bytes.h"

namespace vault {

inline constexpr std::string_view kApiKeyPrefix = "vaultd_";

// "vaultd_" + 43 base64url characters (32 random bytes).
std::string NewApiKey(crypto::RandomSource& random);

// Whether `key` has the shape NewApiKey produces (cheap pre-check).
bool LooksLikeApiKey(std::string_view key);

// 32-byte keyed BLAKE2b of the key under the vault's API-key hashing key.
[[nodiscard]] absl::StatusOr<std::string> ApiKeyHash(const crypto::SecretBytes& hash_key,
                                                     std::string_view api_key);

}  // namespace vault

#endif  // VAULT_KEYS_API_KEYS_H_
