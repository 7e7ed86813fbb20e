// Argon2id over libsodium's crypto_pwhash.
#include "crypto/passphrase.h"

#include <sodium.h>

#include "crypto/sodium_init.h"

namespace vault::crypto {

static_assert(Argon2idParams::kSaltSize == crypto_pwhash_SALTBYTES);

Argon2idParams Argon2idParams::MinimumForTesting() {
  return Argon2idParams{crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN};
}

absl::StatusOr<SecretBytes> DeriveKeyFromPassphrase(std::string_view passphrase,
                                                    std::string_view salt,
                                                    const Argon2idParams& params, size_t size) {
  if (absl::Status s = EnsureSodiumInitialized(); !s.ok()) return s;
  if (passphrase.empty()) return absl::InvalidArgumentError("passphrase is empty");
  if (salt.size() != crypto_pwhash_SALTBYTES) {
    return absl::InvalidArgumentError("Argon2id salt must be 16 bytes");
  }
  if (params.ops_limit < crypto_pwhash_OPSLIMIT_MIN ||
      params.memory_limit < crypto_pwhash_MEMLIMIT_MIN || size < crypto_pwhash_BYTES_MIN) {
    return absl::InvalidArgumentError("Argon2id parameters below the minimum");
  }
  absl::StatusOr<SecretBytes> key = SecretBytes::Allocate(size);
  if (!key.ok()) return key.status();
  if (crypto_pwhash(key->MutableSpan().data(), size, passphrase.data(), passphrase.size(),
                    reinterpret_cast<const uint8_t*>(salt.data()), params.ops_limit,
                    static_cast<size_t>(params.memory_limit), crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return absl::ResourceExhaustedError("Argon2id ran out of memory");
  }
  return key;
}

}  // namespace vault::crypto
