// API key generation and hashing.
#include "vault/keys/api_keys.h"

#include "base/strings.h"
#include "crypto/encoding.h"
#include "crypto/hashing.h"
#include "vault/model/record_keys.h"

namespace vault {

std::string NewApiKey(crypto::RandomSource& random) {
  std::string raw = random.Bytes(32);
  std::string key = Cat(kApiKeyPrefix, crypto::Base64UrlEncode(raw));
  crypto::SecureWipe(raw);
  return key;
}

bool LooksLikeApiKey(std::string_view key) {
  if (key.size() != kApiKeyPrefix.size() + 43 ||
      key.substr(0, kApiKeyPrefix.size()) != kApiKeyPrefix) {
    return false;
  }
  for (char c : key.substr(kApiKeyPrefix.size())) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '_')) {
      return false;
    }
  }
  return true;
}

absl::StatusOr<std::string> ApiKeyHash(const crypto::SecretBytes& hash_key,
                                       std::string_view api_key) {
  return crypto::Blake2bMac(hash_key, AssociatedData("api-key", {api_key}), 32);
}

}  // namespace vault
