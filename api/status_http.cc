// Status mapping.
#include "api/status_http.h"

#include "base/status.h"

namespace vault::api {

HttpError ToHttpError(const absl::Status& status) {
  const ErrorKind kind = ErrorKindOf(status);
  const std::string_view code = ErrorKindName(kind);
  switch (kind) {
    case ErrorKind::kOk: return {200, code};
    case ErrorKind::kInvalidArgument: return {400, code};
    case ErrorKind::kUnauthenticated: return {401, code};
    case ErrorKind::kPermissionDenied: return {403, code};
    case ErrorKind::kNotFound: return {404, code};
    // Per-item kinds; a whole call that ends in one answers as missing.
    case ErrorKind::kExpired: return {404, "NOT_FOUND"};
    case ErrorKind::kGone: return {410, code};
    case ErrorKind::kAlreadyExists:
    case ErrorKind::kFailedPrecondition: return {409, code};
    case ErrorKind::kResourceExhausted: return {429, code};
    case ErrorKind::kSealed:
    case ErrorKind::kUnavailable: return {503, code};
    case ErrorKind::kUnimplemented: return {501, code};
    case ErrorKind::kDataLoss:
    case ErrorKind::kInternal: return {500, "INTERNAL"};
  }
  return {500, "INTERNAL"};
}

std::string_view ItemErrorCode(const absl::Status& status) {
  switch (ErrorKindOf(status)) {
    case ErrorKind::kGone: return "GONE";
    case ErrorKind::kExpired: return "EXPIRED";
    case ErrorKind::kPermissionDenied: return "PERMISSION_DENIED";
    default: return "NOT_FOUND";
  }
}

}  // namespace vault::api
