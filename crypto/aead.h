// Authenticated encryption with associated data: XChaCha20-Poly1305-IETF.
// Security: confidentiality and integrity of the plaintext, integrity of the
// associated data; 192-bit random nonces, so random nonces never collide in
// practice. Decryption under a wrong key, wrong associated data, or of any
// modified or truncated ciphertext fails with DATA_LOSS and yields nothing.
// Thread-safety: stateless functions; safe from any thread.
#ifndef VAULT_CRYPTO_AEAD_H_
#define VAULT_CRYPTO_AEAD_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "crypto/random.h"
#include "crypto/secret_bytes.h"

namespace vault::crypto {

class XChaCha20Poly1305 {
 public:
  static constexpr size_t kKeySize = 32;
  static constexpr size_t kNonceSize = 24;
  static constexpr size_t kTagSize = 16;
  static constexpr size_t kOverhead = kNonceSize + kTagSize;

  // Returns nonce || ciphertext || tag. Fails with INVALID_ARGUMENT for a key
  // that is not kKeySize bytes.
  [[nodiscard]] static absl::StatusOr<std::string> Encrypt(const SecretBytes& key,
                                                           std::string_view plaintext,
                                                           std::string_view associated_data,
                                                           RandomSource& random);

  // Inverse of Encrypt. DATA_LOSS when authentication fails or the input is
  // shorter than kOverhead; INVALID_ARGUMENT for a wrong-sized key.
  [[nodiscard]] static absl::StatusOr<std::string> Decrypt(const SecretBytes& key,
                                                           std::string_view ciphertext,
                                                           std::string_view associated_data);

  // As Decrypt, but the plaintext (a wrapped key) lands straight in locked memory.
  [[nodiscard]] static absl::StatusOr<SecretBytes> DecryptSecret(const SecretBytes& key,
                                                                 std::string_view ciphertext,
                                                                 std::string_view associated_data);

  // Encrypts a secret (key wrapping) without copying it into ordinary memory.
  [[nodiscard]] static absl::StatusOr<std::string> EncryptSecret(const SecretBytes& key,
                                                                 const SecretBytes& plaintext,
                                                                 std::string_view associated_data,
                                                                 RandomSource& random);
};

}  // namespace vault::crypto

#endif  // VAULT_CRYPTO_AEAD_H_
