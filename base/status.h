// Vault-specific error kinds carried on absl::Status as payloads, so the API
// maps them in one place: SEALED (503), GONE (410), EXPIRED (per-item).
// Thread-safety: pure functions. Messages never carry personal data.
#ifndef VAULT_BASE_STATUS_H_
#define VAULT_BASE_STATUS_H_

#include <string_view>

#include "absl/status/status.h"

namespace vault {

// UNAVAILABLE + "sealed" marker: the vault serves no data until unsealed.
absl::Status SealedError();
// NOT_FOUND + "gone" marker: the subject or token was crypto-shredded.
absl::Status GoneError(std::string_view message);
// NOT_FOUND + "expired" marker: a token's TTL has passed.
absl::Status ExpiredError(std::string_view message);

bool IsSealed(const absl::Status& status);
bool IsGone(const absl::Status& status);
bool IsExpired(const absl::Status& status);

}  // namespace vault

#endif  // VAULT_BASE_STATUS_H_
