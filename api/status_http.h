// The one place domain status codes become HTTP statuses and API error
// codes (../shared/API.md). Thread-safety: pure.
#ifndef VAULT_API_STATUS_HTTP_H_
#define VAULT_API_STATUS_HTTP_H_

#include <string_view>

#include "absl/status/status.h"

namespace vault::api {

struct HttpError {
  int status;
  std::string_view code;
};

HttpError ToHttpError(const absl::Status& status);

// The per-item code for detokenize results: NOT_FOUND, GONE, EXPIRED,
// PERMISSION_DENIED.
std::string_view ItemErrorCode(const absl::Status& status);

}  // namespace vault::api

#endif  // VAULT_API_STATUS_HTTP_H_
