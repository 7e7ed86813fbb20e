// XChaCha20-Poly1305-IETF over libsodium's crypto_aead_xchacha20poly1305_ietf_*.
#include "crypto/aead.h"

#include <sodium.h>

#include "crypto/sodium_init.h"

namespace vault::crypto {
namespace {

static_assert(XChaCha20Poly1305::kKeySize == crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
static_assert(XChaCha20Poly1305::kNonceSize == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
static_assert(XChaCha20Poly1305::kTagSize == crypto_aead_xchacha20poly1305_ietf_ABYTES);

const uint8_t* Bytes(std::string_view s) { return reinterpret_cast<const uint8_t*>(s.data()); }

absl::Status CheckKey(const SecretBytes& key) {
  if (absl::Status s = EnsureSodiumInitialized(); !s.ok()) return s;
  if (key.size() != XChaCha20Poly1305::kKeySize) {
    return absl::InvalidArgumentError("AEAD key must be 32 bytes");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> EncryptBytes(const SecretBytes& key, const uint8_t* plaintext,
                                         size_t plaintext_size, std::string_view ad,
                                         RandomSource& random) {
  if (absl::Status s = CheckKey(key); !s.ok()) return s;
  std::string out(XChaCha20Poly1305::kOverhead + plaintext_size, '\0');
  auto* nonce = reinterpret_cast<uint8_t*>(out.data());
  random.Fill({nonce, XChaCha20Poly1305::kNonceSize});
  unsigned long long written = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(nonce + XChaCha20Poly1305::kNonceSize, &written,
                                             plaintext, plaintext_size, Bytes(ad), ad.size(),
                                             nullptr, nonce, RevealSecret(key).data());
  out.resize(XChaCha20Poly1305::kNonceSize + written);
  return out;
}

// Decrypts into `out` (sized by the caller to ciphertext.size() - kOverhead).
absl::Status DecryptInto(const SecretBytes& key, std::string_view ciphertext, std::string_view ad,
                         uint8_t* out) {
  if (absl::Status s = CheckKey(key); !s.ok()) return s;
  if (ciphertext.size() < XChaCha20Poly1305::kOverhead) {
    return absl::DataLossError("ciphertext is truncated");
  }
  const uint8_t* nonce = Bytes(ciphertext);
  unsigned long long written = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          out, &written, nullptr, nonce + XChaCha20Poly1305::kNonceSize,
          ciphertext.size() - XChaCha20Poly1305::kNonceSize, Bytes(ad), ad.size(), nonce,
          RevealSecret(key).data()) != 0) {
    return absl::DataLossError("ciphertext failed authentication");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> XChaCha20Poly1305::Encrypt(const SecretBytes& key,
                                                       std::string_view plaintext,
                                                       std::string_view associated_data,
                                                       RandomSource& random) {
  return EncryptBytes(key, Bytes(plaintext), plaintext.size(), associated_data, random);
}

absl::StatusOr<std::string> XChaCha20Poly1305::EncryptSecret(const SecretBytes& key,
                                                             const SecretBytes& plaintext,
                                                             std::string_view associated_data,
                                                             RandomSource& random) {
  absl::Span<const uint8_t> raw = RevealSecret(plaintext);
  return EncryptBytes(key, raw.data(), raw.size(), associated_data, random);
}

absl::StatusOr<std::string> XChaCha20Poly1305::Decrypt(const SecretBytes& key,
                                                       std::string_view ciphertext,
                                                       std::string_view associated_data) {
  std::string out(ciphertext.size() >= kOverhead ? ciphertext.size() - kOverhead : 0, '\0');
  absl::Status s =
      DecryptInto(key, ciphertext, associated_data, reinterpret_cast<uint8_t*>(out.data()));
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<SecretBytes> XChaCha20Poly1305::DecryptSecret(const SecretBytes& key,
                                                             std::string_view ciphertext,
                                                             std::string_view associated_data) {
  absl::StatusOr<SecretBytes> out =
      SecretBytes::Allocate(ciphertext.size() >= kOverhead ? ciphertext.size() - kOverhead : 0);
  if (!out.ok()) return out.status();
  absl::Status s = DecryptInto(key, ciphertext, associated_data, out->MutableSpan().data());
  if (!s.ok()) return s;
  return out;
}

}  // namespace vault::crypto
