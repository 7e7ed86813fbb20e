// Status mapping.
#include "api/status_http.h"

#include "base/status.h"

namespace vault::api {

HttpError ToHttpError(const absl::Status& status) {
  if (IsSealed(status)) return {503, "SEALED"};
  if (IsGone(status)) return {410, "GONE"};
  switch (status.code()) {
    case absl::StatusCode::kOk: return {200, "OK"};
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange: return {400, "INVALID_ARGUMENT"};
    case absl::StatusCode::kUnauthenticated: return {401, "UNAUTHENTICATED"};
    case absl::StatusCode::kPermissionDenied: return {403, "PERMISSION_DENIED"};
    case absl::StatusCode::kNotFound: return {404, "NOT_FOUND"};
    case absl::StatusCode::kAlreadyExists: return {409, "ALREADY_EXISTS"};
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kAborted: return {409, "FAILED_PRECONDITION"};
    case absl::StatusCode::kResourceExhausted: return {429, "RESOURCE_EXHAUSTED"};
    case absl::StatusCode::kUnavailable: return {503, "UNAVAILABLE"};
    case absl::StatusCode::kUnimplemented: return {501, "UNIMPLEMENTED"};
    default: return {500, "INTERNAL"};
  }
}

std::string_view ItemErrorCode(const absl::Status& status) {
  if (IsGone(status)) return "GONE";
  if (IsExpired(status)) return "EXPIRED";
  if (absl::IsPermissionDenied(status)) return "PERMISSION_DENIED";
  return "NOT_FOUND";
}

}  // namespace vault::api
