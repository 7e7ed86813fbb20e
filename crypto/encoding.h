// Constant-time hex and base64 encodings (libsodium's), safe for secrets such
// as API keys and unseal shares. Thread-safety: stateless.
#ifndef VAULT_CRYPTO_ENCODING_H_
#define VAULT_CRYPTO_ENCODING_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace vault::crypto {

std::string HexEncode(std::string_view bytes);
// INVALID_ARGUMENT on a non-hex character or odd length.
[[nodiscard]] absl::StatusOr<std::string> HexDecode(std::string_view hex);

// Standard base64 with padding (RFC 4648 section 4).
std::string Base64Encode(std::string_view bytes);
[[nodiscard]] absl::StatusOr<std::string> Base64Decode(std::string_view text);

// URL-safe base64 without padding (RFC 4648 section 5), for tokens and keys.
std::string Base64UrlEncode(std::string_view bytes);
[[nodiscard]] absl::StatusOr<std::string> Base64UrlDecode(std::string_view text);

}  // namespace vault::crypto

#endif  // VAULT_CRYPTO_ENCODING_H_
