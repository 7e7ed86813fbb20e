// The two roots: a software key (file root) and a PKCS#11 key object.
#include "vault/keys/internal/root_key.h"

#include "crypto/aead.h"

namespace vault::keys_internal {
namespace {

class Software final : public RootKey {
 public:
  Software(crypto::SecretBytes key, crypto::RandomSource* random)
      : key_(std::move(key)), random_(random) {}
  absl::StatusOr<std::string> Wrap(const crypto::SecretBytes& key,
                                   std::string_view associated_data) override {
    return crypto::XChaCha20Poly1305::EncryptSecret(key_, key, associated_data, *random_);
  }
  absl::StatusOr<crypto::SecretBytes> Unwrap(std::string_view wrapped,
                                             std::string_view associated_data) override {
    absl::StatusOr<crypto::SecretBytes> key =
        crypto::XChaCha20Poly1305::DecryptSecret(key_, wrapped, associated_data);
    if (!key.ok()) return absl::DataLossError("keyring entry failed authentication");
    return key;
  }

 private:
  crypto::SecretBytes key_;
  crypto::RandomSource* random_;
};

class Token final : public RootKey {
 public:
  Token(crypto::Pkcs11Token* token, std::string key_id, crypto::RandomSource* random)
      : token_(token), key_id_(std::move(key_id)), random_(random) {}
  absl::StatusOr<std::string> Wrap(const crypto::SecretBytes& key,
                                   std::string_view associated_data) override {
    absl::StatusOr<std::string> wrapped = token_->Encrypt(key_id_, key, associated_data, *random_);
    if (absl::IsNotFound(wrapped.status())) {
      return absl::UnavailableError("pkcs11: the root key object is no longer in the token");
    }
    return wrapped;
  }
  absl::StatusOr<crypto::SecretBytes> Unwrap(std::string_view wrapped,
                                             std::string_view associated_data) override {
    absl::StatusOr<crypto::SecretBytes> key = token_->Decrypt(key_id_, wrapped, associated_data);
    if (absl::IsPermissionDenied(key.status())) {
      return absl::DataLossError("keyring entry failed authentication");
    }
    if (absl::IsNotFound(key.status())) {
      return absl::UnavailableError("pkcs11: the root key object is no longer in the token");
    }
    return key;
  }

 private:
  crypto::Pkcs11Token* token_;
  std::string key_id_;
  crypto::RandomSource* random_;
};

}  // namespace

std::unique_ptr<RootKey> SoftwareRoot(crypto::SecretBytes key, crypto::RandomSource* random) {
  return std::make_unique<Software>(std::move(key), random);
}

std::unique_ptr<RootKey> TokenRoot(crypto::Pkcs11Token* token, std::string key_id,
                                   crypto::RandomSource* random) {
  return std::make_unique<Token>(token, std::move(key_id), random);
}

}  // namespace vault::keys_internal
