// Hashing, keyed hashing and key derivation: BLAKE2b (plain and keyed),
// HMAC-SHA-256, and KDF subkeys (crypto_kdf, BLAKE2b-based).
// Thread-safety: stateless functions; safe from any thread.
// Never pass a low-entropy value to an unkeyed hash to "protect" it: use a MAC.
#ifndef VAULT_CRYPTO_HASHING_H_
#define VAULT_CRYPTO_HASHING_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "crypto/secret_bytes.h"

namespace vault::crypto {

// Unkeyed BLAKE2b with an output of `out_size` bytes (16..64). For checksums
// and hash chains over public data only.
[[nodiscard]] absl::StatusOr<std::string> Blake2b(std::string_view message, size_t out_size);

// Unkeyed BLAKE2b over a message given in pieces (a file read in chunks by
// the caller: crypto does no file I/O). Same result as Blake2b over the
// concatenation. Public data only, as Blake2b.
class Blake2bHasher {
 public:
  // INVALID_ARGUMENT unless 16 <= out_size <= 64.
  [[nodiscard]] static absl::StatusOr<Blake2bHasher> Create(size_t out_size);
  Blake2bHasher(Blake2bHasher&&) noexcept;
  Blake2bHasher& operator=(Blake2bHasher&&) noexcept;
  ~Blake2bHasher();

  void Update(std::string_view piece);
  // The digest; the hasher must not be used afterwards.
  std::string Finish();

 private:
  struct State;
  explicit Blake2bHasher(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// Keyed BLAKE2b (a MAC/PRF). Key 16..64 bytes, output 16..64 bytes.
[[nodiscard]] absl::StatusOr<std::string> Blake2bMac(const SecretBytes& key,
                                                     std::string_view message, size_t out_size);

// HMAC-SHA-256: 32-byte tag. The key must be at least 16 bytes.
[[nodiscard]] absl::StatusOr<std::string> HmacSha256(const SecretBytes& key,
                                                     std::string_view message);

// Derives subkey number `subkey_id` of `size` bytes (16..64) from a 32-byte
// master key, in a domain named by exactly 8 characters of `context`.
[[nodiscard]] absl::StatusOr<SecretBytes> DeriveSubkey(const SecretBytes& master_key,
                                                       uint64_t subkey_id, std::string_view context,
                                                       size_t size);

// Constant-time comparison of two public-length byte strings.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace vault::crypto

#endif  // VAULT_CRYPTO_HASHING_H_
