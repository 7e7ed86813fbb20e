// Shamir secret sharing of the unseal key (k of n) over libgfshare, with the
// library's random source pointed at libsodium's CSPRNG (its default is
// unset, and its offered fallback uses random(), unacceptable for shares).
// Share text: "vs1-" + base64url(x || y || 4-byte BLAKE2b checksum), so a
// mistyped share is rejected on its own instead of yielding a wrong key.
// Thread-safety: stateless functions; safe from any thread.
// Never logs shares or secrets.
#ifndef VAULT_CRYPTO_SHAMIR_H_
#define VAULT_CRYPTO_SHAMIR_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "crypto/secret_bytes.h"

namespace vault::crypto {

// Splits `secret` into `shares` shares, any `threshold` of which recombine
// it. REQUIRES 2 <= threshold <= shares <= 255 (INVALID_ARGUMENT otherwise).
[[nodiscard]] absl::StatusOr<std::vector<std::string>> SplitSecret(const SecretBytes& secret,
                                                                   int shares, int threshold);

// One decoded share: its x coordinate and y bytes (in locked memory).
struct DecodedShare {
  uint8_t x = 0;
  SecretBytes y;
};

// INVALID_ARGUMENT for malformed text or a failed checksum.
[[nodiscard]] absl::StatusOr<DecodedShare> DecodeShare(std::string_view text);

// Recombines distinct shares (at least the threshold they were made with;
// fewer yield a wrong secret, which the caller detects by authentication).
[[nodiscard]] absl::StatusOr<SecretBytes> CombineShares(const std::vector<DecodedShare>& shares);

}  // namespace vault::crypto

#endif  // VAULT_CRYPTO_SHAMIR_H_
