// Vault error kinds as status payloads.
#include "base/status.h"

#include "absl/strings/cord.h"

namespace vault {
namespace {

constexpr std::string_view kKindUrl = "type.vaultd.dev/vault.ErrorKind";

absl::Status WithKind(absl::Status status, std::string_view kind) {
  status.SetPayload(absl::string_view(kKindUrl.data(), kKindUrl.size()), absl::Cord(std::string(kind)));
  return status;
}

bool HasKind(const absl::Status& status, std::string_view kind) {
  absl::optional<absl::Cord> payload =
      status.GetPayload(absl::string_view(kKindUrl.data(), kKindUrl.size()));
  return payload.has_value() && *payload == std::string(kind);
}

}  // namespace

absl::Status SealedError() { return WithKind(absl::UnavailableError("vault is sealed"), "sealed"); }
absl::Status GoneError(std::string_view message) {
  return WithKind(absl::NotFoundError(std::string(message)), "gone");
}
absl::Status ExpiredError(std::string_view message) {
  return WithKind(absl::NotFoundError(std::string(message)), "expired");
}

bool IsSealed(const absl::Status& status) { return HasKind(status, "sealed"); }
bool IsGone(const absl::Status& status) { return HasKind(status, "gone"); }
bool IsExpired(const absl::Status& status) { return HasKind(status, "expired"); }

}  // namespace vault
