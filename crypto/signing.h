// Ed25519 signatures: the vault's signing key (audit checkpoints, erasure
// receipts) and offline verification.
// Thread-safety: a const SigningKey may sign from many threads.
#ifndef VAULT_CRYPTO_SIGNING_H_
#define VAULT_CRYPTO_SIGNING_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "crypto/random.h"
#include "crypto/secret_bytes.h"

namespace vault::crypto {

class SigningKey {
 public:
  static constexpr size_t kSeedSize = 32;
  static constexpr size_t kPublicKeySize = 32;
  static constexpr size_t kSignatureSize = 64;

  // A new key from `random`.
  [[nodiscard]] static absl::StatusOr<SigningKey> Generate(RandomSource& random);
  // The key determined by a 32-byte seed (how keys are stored, wrapped).
  [[nodiscard]] static absl::StatusOr<SigningKey> FromSeed(const SecretBytes& seed);

  SigningKey(SigningKey&&) noexcept = default;
  SigningKey& operator=(SigningKey&&) noexcept = default;

  // Raw 32-byte public key.
  const std::string& public_key() const { return public_key_; }
  // The seed, for wrapping and storage.
  const SecretBytes& seed() const { return seed_; }
  // A 64-byte detached signature over `message`.
  std::string Sign(std::string_view message) const;

 private:
  SigningKey(SecretBytes seed, SecretBytes secret_key, std::string public_key)
      : seed_(std::move(seed)),
        secret_key_(std::move(secret_key)),
        public_key_(std::move(public_key)) {}

  SecretBytes seed_;
  SecretBytes secret_key_;  // libsodium's 64-byte expanded form
  std::string public_key_;
};

// OK when `signature` is a valid Ed25519 signature of `message` under the raw
// 32-byte `public_key`; DATA_LOSS when it is not; INVALID_ARGUMENT for
// wrongly sized inputs.
[[nodiscard]] absl::Status VerifySignature(std::string_view public_key, std::string_view message,
                                           std::string_view signature);

}  // namespace vault::crypto

#endif  // VAULT_CRYPTO_SIGNING_H_
