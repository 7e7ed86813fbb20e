// Hashing, keyed hashing and key derivation: BLAKE2b (plain and keyed),
// HMAC-SHA-256, and KDF subkeys (crypto_kdf, BLAKE2b-based).
// Thread-safety: stateless functions; safe from any thread.
// Never pass a low-entropy value to an unkeyed hash to "protect" it: use a MAC.
#ifndef VAULT_CRYPTO_HASHING_H_
#define VAULT_CRYPTO_HASHING_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "crypto/secret_bytes.h"

namespace vault::crypto {

// Unkeyed BLAKE2b with an output of `out_size` bytes (16..64). For checksums
// and hash chains over public data only.
[[nodiscard]] absl::StatusOr<std::string> Blake2b(std::string_view message, size_t out_size);

// Unkeyed BLAKE2b (32 bytes) of a whole file, read in chunks. NOT_FOUND /
// UNAVAILABLE when the file cannot be read.
[[nodiscard]] absl::StatusOr<std::string> Blake2bFile(const std::string& path);

// Keyed BLAKE2b (a MAC/PRF). Key 16..64 bytes, output 16..64 bytes.
[[nodiscard]] absl::StatusOr<std::string> Blake2bMac(const SecretBytes& key,
                                                     std::string_view message, size_t out_size);

// HMAC-SHA-256: 32-byte tag. The key must be at least 16 bytes.
[[nodiscard]] absl::StatusOr<std::string> HmacSha256(const SecretBytes& key,
                                                     std::string_view message);

// Derives subkey number `subkey_id` of `size` bytes (16..64) from a 32-byte
// master key, in a domain named by exactly 8 characters of `context`.
[[nodiscard]] absl::StatusOr<SecretBytes> DeriveSubkey(const SecretBytes& master_key,
                                                       uint64_t subkey_id,
                                                       std::string_view context, size_t size);

// Constant-time comparison of two public-length byte strings.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace vault::crypto

#endif  // VAULT_CRYPTO_HASHING_H_
