// The dev-mode unseal key file over an Env (see internal/key_file.h).
#include "vault/keys/internal/key_file.h"

#include "base/files.h"
#include "base/strings.h"
#include "crypto/encoding.h"
#include "vault/keys/key_hierarchy.h"

namespace vault::keys_internal {

absl::Status WriteNewKeyFile(base::Env& env, const std::string& path,
                             const crypto::SecretBytes& key) {
  absl::Span<const uint8_t> raw = crypto::RevealSecret(key);
  std::string hex =
      crypto::HexEncode(std::string_view(reinterpret_cast<const char*>(raw.data()), raw.size()));
  hex.push_back('\n');
  absl::Status written = WritePrivateFile(env, path, hex, IfExists::kFail);
  crypto::SecureWipe(hex);
  if (absl::IsAlreadyExists(written)) {
    return absl::AlreadyExistsError("unseal key file already exists");
  }
  if (!written.ok()) {
    // Never leave a partial key file behind (WritePrivateFile does not).
    return absl::UnavailableError(Cat("cannot write unseal key file: ", written.message()));
  }
  return absl::OkStatus();
}

absl::StatusOr<crypto::SecretBytes> ReadKeyFile(base::Env& env, const std::string& path) {
  absl::StatusOr<base::FileInfo> info = env.Stat(path);
  if (info.ok() && info->type == base::FileType::kMissing) {
    return absl::NotFoundError("unseal key file does not exist");
  }
  absl::StatusOr<std::unique_ptr<base::SequentialFile>> file = env.OpenForRead(path);
  if (!file.ok() && absl::IsNotFound(file.status())) {
    return absl::NotFoundError("unseal key file does not exist");
  }
  if (!file.ok()) {
    return absl::PermissionDeniedError(
        Cat("unseal key file cannot be opened: ", file.status().message()));
  }
  if (!info.ok() || (info->mode & 077) != 0) {
    return absl::FailedPreconditionError(
        "unseal key file must not be accessible to group or others (chmod 600)");
  }
  std::string buf(128, '\0');
  absl::StatusOr<size_t> n = (*file)->Read(buf.data(), buf.size());
  buf.resize(n.ok() ? *n : 0);
  std::string_view text(buf);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  absl::StatusOr<std::string> raw = crypto::HexDecode(text);
  crypto::SecureWipe(buf);
  if (!raw.ok() || raw->size() != KeyHierarchy::kKeySize) {
    if (raw.ok()) crypto::SecureWipe(*raw);
    return absl::InvalidArgumentError("unseal key file does not hold a 32-byte hex key");
  }
  absl::StatusOr<crypto::SecretBytes> key = crypto::SecretBytes::CopyFrom(*raw);
  crypto::SecureWipe(*raw);
  return key;
}

void RemoveKeyFile(base::Env& env, const std::string& path) { (void)env.Remove(path); }

}  // namespace vault::keys_internal
