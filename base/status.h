// Error kinds: what callers branch on, as first-class values. A vault error
// is an absl::Status; ErrorKindOf gives its one kind, so code never pieces
// a kind together from a code and a marker (GONE and EXPIRED travel as
// NOT_FOUND with a payload, so `absl::IsNotFound` alone would take an
// erased subject for a missing one: compare ErrorKindOf(...) with
// ErrorKind::kNotFound instead). The API maps kinds to HTTP in one place
// (api/status_http.cc).
// Thread-safety: pure functions. Messages never carry personal data.
#ifndef VAULT_BASE_STATUS_H_
#define VAULT_BASE_STATUS_H_

#include <string_view>

#include "absl/status/status.h"

namespace vault {

enum class ErrorKind {
  kOk,
  kInvalidArgument,  // INVALID_ARGUMENT, OUT_OF_RANGE
  kUnauthenticated,
  kPermissionDenied,
  kNotFound,  // missing (never erased or expired)
  kGone,      // crypto-shredded: a subject, a tenant or a key version
  kExpired,   // a token past its TTL
  kAlreadyExists,
  kFailedPrecondition,  // FAILED_PRECONDITION, ABORTED
  kResourceExhausted,
  kSealed,       // the vault serves no data until unsealed
  kUnavailable,  // storage, audit or another dependency refuses now
  kUnimplemented,
  kDataLoss,  // stored data failed authentication or parsing
  kInternal,  // everything else
};

ErrorKind ErrorKindOf(const absl::Status& status);
// The stable wire name ("NOT_FOUND", "GONE", ...).
std::string_view ErrorKindName(ErrorKind kind);

// UNAVAILABLE + "sealed" marker: the vault serves no data until unsealed.
absl::Status SealedError();
// NOT_FOUND + "gone" marker: the subject or token was crypto-shredded.
absl::Status GoneError(std::string_view message);
// NOT_FOUND + "expired" marker: a token's TTL has passed.
absl::Status ExpiredError(std::string_view message);

inline bool IsSealed(const absl::Status& s) { return ErrorKindOf(s) == ErrorKind::kSealed; }
inline bool IsGone(const absl::Status& s) { return ErrorKindOf(s) == ErrorKind::kGone; }
inline bool IsExpired(const absl::Status& s) { return ErrorKindOf(s) == ErrorKind::kExpired; }
// NOT_FOUND that is neither GONE nor EXPIRED.
inline bool IsMissing(const absl::Status& s) { return ErrorKindOf(s) == ErrorKind::kNotFound; }

}  // namespace vault

#endif  // VAULT_BASE_STATUS_H_
