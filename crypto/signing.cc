// Ed25519 over libsodium's crypto_sign_*.
#include "crypto/signing.h"

#include <sodium.h>

#include "crypto/sodium_init.h"

namespace vault::crypto {

static_assert(SigningKey::kSeedSize == crypto_sign_SEEDBYTES);
static_assert(SigningKey::kPublicKeySize == crypto_sign_PUBLICKEYBYTES);
static_assert(SigningKey::kSignatureSize == crypto_sign_BYTES);

absl::StatusOr<SigningKey> SigningKey::Generate(RandomSource& random) {
  absl::StatusOr<SecretBytes> seed = random.Secret(kSeedSize);
  if (!seed.ok()) return seed.status();
  return FromSeed(*seed);
}

absl::StatusOr<SigningKey> SigningKey::FromSeed(const SecretBytes& seed) {
  if (absl::Status s = EnsureSodiumInitialized(); !s.ok()) return s;
  if (seed.size() != kSeedSize) return absl::InvalidArgumentError("Ed25519 seed must be 32 bytes");
  absl::StatusOr<SecretBytes> seed_copy = seed.Clone();
  if (!seed_copy.ok()) return seed_copy.status();
  absl::StatusOr<SecretBytes> sk = SecretBytes::Allocate(crypto_sign_SECRETKEYBYTES);
  if (!sk.ok()) return sk.status();
  std::string pk(crypto_sign_PUBLICKEYBYTES, '\0');
  crypto_sign_seed_keypair(reinterpret_cast<uint8_t*>(pk.data()), sk->MutableSpan().data(),
                           RevealSecret(seed).data());
  return SigningKey(std::move(*seed_copy), std::move(*sk), std::move(pk));
}

std::string SigningKey::Sign(std::string_view message) const {
  std::string sig(crypto_sign_BYTES, '\0');
  crypto_sign_detached(reinterpret_cast<uint8_t*>(sig.data()), nullptr,
                       reinterpret_cast<const uint8_t*>(message.data()), message.size(),
                       RevealSecret(secret_key_).data());
  return sig;
}

absl::Status VerifySignature(std::string_view public_key, std::string_view message,
                             std::string_view signature) {
  if (absl::Status s = EnsureSodiumInitialized(); !s.ok()) return s;
  if (public_key.size() != crypto_sign_PUBLICKEYBYTES) {
    return absl::InvalidArgumentError("Ed25519 public key must be 32 bytes");
  }
  if (signature.size() != crypto_sign_BYTES) {
    return absl::InvalidArgumentError("Ed25519 signature must be 64 bytes");
  }
  if (crypto_sign_verify_detached(reinterpret_cast<const uint8_t*>(signature.data()),
                                  reinterpret_cast<const uint8_t*>(message.data()), message.size(),
                                  reinterpret_cast<const uint8_t*>(public_key.data())) != 0) {
    return absl::DataLossError("signature does not verify");
  }
  return absl::OkStatus();
}

}  // namespace vault::crypto
