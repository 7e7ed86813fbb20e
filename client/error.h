// The server's error answers as statuses, without loss: the absl code is
// mapped from the wire code, and the wire code itself (GONE, EXPIRED,
// SEALED, ...) and the HTTP status ride along as a payload.
// Thread-safety: pure functions. Never puts request or answer bodies other
// than the server's error message into a status.
#ifndef VAULT_CLIENT_ERROR_H_
#define VAULT_CLIENT_ERROR_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace vault::client {

// An error answer of vaultd: `{"error":{"code","message","request_id"}}`.
struct ClientError {
  int http_status = 0;     // 0 = no answer (unreachable)
  std::string code;        // the wire code, e.g. "GONE"; "HTTP_<n>" when the body has none
  std::string message;     // the server's message; "no error details" when none
  std::string request_id;  // may be empty
};

// Parses an error answer. Never fails: a body that is not an error object
// gives code "HTTP_<status>" and message "no error details".
[[nodiscard]] ClientError DecodeError(int http_status, std::string_view body);

// The status for an error answer: message "CODE: message (HTTP n[, request id])",
// code mapped from the wire code (GONE and EXPIRED -> NOT_FOUND, SEALED ->
// UNAVAILABLE, ...; an unknown code falls back to the HTTP status), and a
// payload that WireCode and HttpStatusOf read back.
[[nodiscard]] absl::Status ToStatus(const ClientError& error);

// DecodeError then ToStatus; `request_id` (the X-Request-Id header) wins over
// the body's when not empty.
[[nodiscard]] absl::Status ErrorStatus(int http_status, std::string_view body,
                                       std::string_view request_id = {});

// The wire code of a status made by ToStatus ("GONE"); "" for other statuses.
std::string WireCode(const absl::Status& status);
// The HTTP status of a status made by ToStatus; 0 for other statuses.
int HttpStatusOf(const absl::Status& status);

}  // namespace vault::client

#endif  // VAULT_CLIENT_ERROR_H_
