// Vault error kinds: SEALED, GONE and EXPIRED as status payloads; the rest
// from the status code.
#include "base/status.h"

#include "absl/strings/cord.h"

namespace vault {
namespace {

constexpr std::string_view kKindUrl = "type.vaultd.dev/vault.ErrorKind";

absl::Status WithKind(absl::Status status, std::string_view kind) {
  status.SetPayload(absl::string_view(kKindUrl.data(), kKindUrl.size()),
                    absl::Cord(std::string(kind)));
  return status;
}

ErrorKind FromCode(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk: return ErrorKind::kOk;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange: return ErrorKind::kInvalidArgument;
    case absl::StatusCode::kUnauthenticated: return ErrorKind::kUnauthenticated;
    case absl::StatusCode::kPermissionDenied: return ErrorKind::kPermissionDenied;
    case absl::StatusCode::kNotFound: return ErrorKind::kNotFound;
    case absl::StatusCode::kAlreadyExists: return ErrorKind::kAlreadyExists;
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kAborted: return ErrorKind::kFailedPrecondition;
    case absl::StatusCode::kResourceExhausted: return ErrorKind::kResourceExhausted;
    case absl::StatusCode::kUnavailable: return ErrorKind::kUnavailable;
    case absl::StatusCode::kUnimplemented: return ErrorKind::kUnimplemented;
    case absl::StatusCode::kDataLoss: return ErrorKind::kDataLoss;
    default: return ErrorKind::kInternal;
  }
}

}  // namespace

ErrorKind ErrorKindOf(const absl::Status& status) {
  if (status.ok()) return ErrorKind::kOk;
  absl::optional<absl::Cord> payload =
      status.GetPayload(absl::string_view(kKindUrl.data(), kKindUrl.size()));
  if (payload.has_value()) {
    // A marker counts only on the code it was made with.
    if (*payload == "sealed" && absl::IsUnavailable(status)) return ErrorKind::kSealed;
    if (*payload == "gone" && absl::IsNotFound(status)) return ErrorKind::kGone;
    if (*payload == "expired" && absl::IsNotFound(status)) return ErrorKind::kExpired;
  }
  return FromCode(status.code());
}

std::string_view ErrorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kOk: return "OK";
    case ErrorKind::kInvalidArgument: return "INVALID_ARGUMENT";
    case ErrorKind::kUnauthenticated: return "UNAUTHENTICATED";
    case ErrorKind::kPermissionDenied: return "PERMISSION_DENIED";
    case ErrorKind::kNotFound: return "NOT_FOUND";
    case ErrorKind::kGone: return "GONE";
    case ErrorKind::kExpired: return "EXPIRED";
    case ErrorKind::kAlreadyExists: return "ALREADY_EXISTS";
    case ErrorKind::kFailedPrecondition: return "FAILED_PRECONDITION";
    case ErrorKind::kResourceExhausted: return "RESOURCE_EXHAUSTED";
    case ErrorKind::kSealed: return "SEALED";
    case ErrorKind::kUnavailable: return "UNAVAILABLE";
    case ErrorKind::kUnimplemented: return "UNIMPLEMENTED";
    case ErrorKind::kDataLoss: return "DATA_LOSS";
    case ErrorKind::kInternal: return "INTERNAL";
  }
  return "INTERNAL";
}

absl::Status SealedError() { return WithKind(absl::UnavailableError("vault is sealed"), "sealed"); }
absl::Status GoneError(std::string_view message) {
  return WithKind(absl::NotFoundError(std::string(message)), "gone");
}
absl::Status ExpiredError(std::string_view message) {
  return WithKind(absl::NotFoundError(std::string(message)), "expired");
}

}  // namespace vault
